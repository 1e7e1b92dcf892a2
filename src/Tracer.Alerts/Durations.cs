using System.Globalization;

namespace Tracer.Alerts;

/// <summary>Latency thresholds as people write them: <c>250ns</c>, <c>800us</c>, <c>5ms</c>, <c>1.5s</c>.</summary>
public static class Durations
{
    public static bool TryParse(string text, out long nanoseconds)
    {
        nanoseconds = 0;
        int end = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.'))
            end++;
        if (end == 0 || !double.TryParse(text.AsSpan(0, end), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n))
            return false;
        double scale = text[end..].ToLowerInvariant() switch
        {
            "ns" => 1,
            "us" or "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            _ => double.NaN,
        };
        double ns = Math.Round(n * scale);
        if (double.IsNaN(ns) || ns < 1 || ns > 3600e9)
            return false;
        nanoseconds = (long)ns;
        return true;
    }

    /// <summary>The shortest exact form: <c>5ms</c>, <c>1500us</c>, <c>250ns</c>.</summary>
    public static string Format(long ns)
    {
        var ci = CultureInfo.InvariantCulture;
        if (ns % 1_000_000_000 == 0)
            return (ns / 1_000_000_000).ToString(ci) + "s";
        if (ns % 1_000_000 == 0)
            return (ns / 1_000_000).ToString(ci) + "ms";
        if (ns % 1_000 == 0)
            return (ns / 1_000).ToString(ci) + "us";
        return ns.ToString(ci) + "ns";
    }
}
