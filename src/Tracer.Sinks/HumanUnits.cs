using System.Globalization;

namespace Tracer.Sinks;

/// <summary>Short human-readable numbers for the console table.</summary>
internal static class HumanUnits
{
    /// <summary>Nanoseconds as <c>850ns</c>, <c>12.3us</c>, <c>4.56ms</c>, <c>1.20s</c>: three significant digits.</summary>
    public static string Latency(long ns)
    {
        if (ns < 1000)
            return ns.ToString(CultureInfo.InvariantCulture) + "ns";
        // Bounds sit at x.5 so that nothing is printed as "1000us" rather than "1.00ms".
        if (ns < 999_500)
            return ThreeDigits(ns / 1e3) + "us";
        if (ns < 999_500_000)
            return ThreeDigits(ns / 1e6) + "ms";
        return ThreeDigits(ns / 1e9) + "s";
    }

    /// <summary>
    /// The probes' calibrated cost for a header, emulated and single-stepped entries: <c>probe cost 652ns/19.1us
    /// subtracted</c>, or <c>included</c> when latencies are raw.
    /// </summary>
    public static string ProbeCost(Tracer.Core.ProbeCost cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        return "probe cost " + Latency(cost.BiasNs) + "/" + Latency(cost.SteppedBiasNs) + (cost.Subtracted ? " subtracted" : " included");
    }

    /// <summary>Latency with a space before the unit, as in running text: <c>250 ms</c>, <c>12.3 us</c>.</summary>
    public static string LatencyWords(long ns)
    {
        string s = Latency(ns);
        int unit = s.Length - (s.EndsWith("ns", StringComparison.Ordinal) || s.EndsWith("us", StringComparison.Ordinal) || s.EndsWith("ms", StringComparison.Ordinal) ? 2 : 1);
        return string.Concat(s.AsSpan(0, unit), " ", s.AsSpan(unit));
    }

    /// <summary>Bytes in binary units: <c>512B</c>, <c>64K</c>, <c>1.50M</c>, <c>256M</c>, <c>2G</c>.</summary>
    public static string Bytes(long bytes)
    {
        if (bytes < 1024)
            return bytes.ToString(CultureInfo.InvariantCulture) + "B";
        double v = bytes;
        string unit = "B";
        foreach (var u in (ReadOnlySpan<string>)["K", "M", "G", "T", "P"])
        {
            if (v < 1024)
                break;
            v /= 1024;
            unit = u;
        }
        // Exact multiples print without decimals (256M, not 256.0M).
        string number = v == Math.Floor(v) ? v.ToString("0", CultureInfo.InvariantCulture) : ThreeDigits(v);
        return number + unit;
    }

    /// <summary>A count, abbreviated with k/M/G above a million so it fits a narrow column.</summary>
    public static string Count(double n)
    {
        if (n < 1_000_000)
            return Math.Round(n).ToString("0", CultureInfo.InvariantCulture);
        if (n < 1e9)
            return ThreeDigits(n / 1e6) + "M";
        return ThreeDigits(n / 1e9) + "G";
    }

    private static string ThreeDigits(double v) => v switch
    {
        >= 99.95 => v.ToString("0", CultureInfo.InvariantCulture),
        >= 9.995 => v.ToString("0.0", CultureInfo.InvariantCulture),
        _ => v.ToString("0.00", CultureInfo.InvariantCulture),
    };
}
