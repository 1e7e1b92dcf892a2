using System.Globalization;

namespace Tracer.Core;

/// <summary>
/// The one grammar for the durations and sizes a user types, on the command line, in the config file and in alert
/// rules. A duration is a decimal number and a unit, <c>ns</c>, <c>us</c> (or <c>µs</c>), <c>ms</c>, <c>s</c>,
/// <c>m</c>, <c>h</c> or <c>d</c>, in any case (<c>250ns</c>, <c>500us</c>, <c>1.5s</c>, <c>2m</c>); a number without
/// a unit is seconds where the caller allows it. A size is a whole number and an optional binary unit, <c>B</c>,
/// <c>K</c>, <c>M</c>, <c>G</c>, <c>T</c> (also <c>KB</c>/<c>KiB</c> and so on, any case): <c>32K</c> is 32768 bytes.
/// Malformed text is a <see cref="FormatException"/> whose message is the sentence to show the user.
/// </summary>
public static class Quantity
{
    /// <summary>What a duration may look like, for messages.</summary>
    public const string DurationExamples = "e.g. 500us, 500ms, 15s, 2m, 1h";

    /// <summary>What a size may look like, for messages.</summary>
    public const string SizeExamples = "a number with an optional unit K, M or G (e.g. 32K)";

    /// <summary>A duration in nanoseconds, or false when <paramref name="text"/> is not one.</summary>
    /// <param name="requireUnit">false: a bare number is seconds.</param>
    public static bool TryParseDurationNs(string text, out long nanoseconds, bool requireUnit = false)
    {
        nanoseconds = 0;
        var s = text.AsSpan().Trim();
        int end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.'))
            end++;
        if (end == 0 || !double.TryParse(s[..end], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n))
            return false;
        double scale = s[end..].ToString().ToLowerInvariant() switch
        {
            "ns" => 1,
            "us" or "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "" when !requireUnit => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "d" => 86400e9,
            _ => double.NaN,
        };
        double ns = Math.Round(n * scale);
        if (double.IsNaN(ns) || ns >= long.MaxValue)
            return false;
        nanoseconds = (long)ns;
        return true;
    }

    /// <summary>A duration in nanoseconds, exact to the nanosecond.</summary>
    /// <param name="what">Where the text came from, for the message (<c>--spike-threshold</c>); null: nothing.</param>
    /// <exception cref="FormatException">The text is not a duration; the message says so and names <paramref name="what"/>.</exception>
    public static long ParseDurationNs(string text, string? what = null, bool requireUnit = false) =>
        TryParseDurationNs(text, out long ns, requireUnit)
            ? ns
            : throw new FormatException($"invalid duration '{text}'{For(what)}: expected {DurationExamples}");

    /// <summary>A duration as a <see cref="TimeSpan"/> (rounded to its 100 ns ticks).</summary>
    /// <exception cref="FormatException">The text is not a duration; the message says so and names <paramref name="what"/>.</exception>
    public static TimeSpan ParseDuration(string text, string? what = null, bool requireUnit = false)
    {
        long ns = ParseDurationNs(text, what, requireUnit);
        return TimeSpan.FromTicks((ns + 50) / 100);
    }

    /// <summary>A size in bytes, or false when <paramref name="text"/> is not one.</summary>
    public static bool TryParseSize(string text, out ulong bytes)
    {
        bytes = 0;
        var s = text.AsSpan().Trim();
        int end = 0;
        while (end < s.Length && char.IsAsciiDigit(s[end]))
            end++;
        if (end == 0 || !ulong.TryParse(s[..end], NumberStyles.None, CultureInfo.InvariantCulture, out ulong n))
            return false;
        int shift = s[end..].ToString().ToUpperInvariant() switch
        {
            "" or "B" => 0,
            "K" or "KB" or "KIB" => 10,
            "M" or "MB" or "MIB" => 20,
            "G" or "GB" or "GIB" => 30,
            "T" or "TB" or "TIB" => 40,
            _ => -1,
        };
        if (shift < 0 || (shift > 0 && n > (ulong.MaxValue >> shift)))
            return false;
        bytes = n << shift;
        return true;
    }

    /// <summary>A size in bytes.</summary>
    /// <exception cref="FormatException">The text is not a size; the message says so and names <paramref name="what"/>.</exception>
    public static ulong ParseSize(string text, string? what = null) =>
        TryParseSize(text, out ulong bytes)
            ? bytes
            : throw new FormatException($"invalid size '{text}'{For(what)}: expected {SizeExamples}");

    /// <summary>The shortest exact form of a duration: <c>5ms</c>, <c>1500us</c>, <c>250ns</c>, <c>2s</c>.</summary>
    public static string FormatDuration(long ns)
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

    private static string For(string? what) => what is null ? "" : " for " + what;
}
