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
