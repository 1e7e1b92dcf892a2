using System.Globalization;
using System.Net;
using System.Text;

namespace Alloclat.Cli.Report;

/// <summary>Small helpers for writing SVG and HTML by hand: escaping, invariant numbers, log axes, colours.</summary>
internal static class Svg
{
    public static string E(string s) => WebUtility.HtmlEncode(s);

    public static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    public static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>Latency in ns as a person reads it: 850 ns, 12.3 us, 4.56 ms, 1.20 s.</summary>
    public static string Latency(long ns) => ns switch
    {
        < 1_000 => $"{ns} ns",
        < 1_000_000 => (ns / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + " us",
        < 1_000_000_000 => (ns / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + " ms",
        _ => (ns / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + " s",
    };

    public static string Bytes(long b) => b switch
    {
        >= 1L << 30 => (b / (double)(1L << 30)).ToString("0.#", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (b / (double)(1L << 20)).ToString("0.#", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (b / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KiB",
        _ => $"{b} B",
    };

    /// <summary>Decades from just below <paramref name="min"/> to just above <paramref name="max"/>, at least one.</summary>
    public static (double Lo, double Hi) LogRange(long min, long max)
    {
        double lo = Math.Floor(Math.Log10(Math.Max(1, min))), hi = Math.Ceiling(Math.Log10(Math.Max(1, max)));
        return hi <= lo ? (lo, lo + 1) : (lo, hi);
    }

    /// <summary>A colour from cool to hot for a position 0..1.</summary>
    public static string Heat(double t)
    {
        t = Math.Clamp(t, 0, 1);
        int r = (int)(255 * Math.Min(1, 0.15 + 1.2 * t)), g = (int)(230 * (1 - t) + 40 * t), b = (int)(120 * (1 - t));
        return $"rgb({r},{g},{b})";
    }

    /// <summary>A warm colour that depends only on the name, as flame graphs use.</summary>
    public static string Warm(string name)
    {
        uint h = 2166136261;
        foreach (char c in name)
            h = (h ^ c) * 16777619;
        int r = 205 + (int)(h % 50), g = 80 + (int)(h / 50 % 130), b = 40 + (int)(h / 6500 % 40);
        return $"rgb({r},{g},{b})";
    }

    public static void Text(StringBuilder sb, double x, double y, string text, string cls = "", string anchor = "start") =>
        sb.Append($"<text x=\"{N(x)}\" y=\"{N(y)}\" text-anchor=\"{anchor}\"{(cls.Length > 0 ? $" class=\"{cls}\"" : "")}>{E(text)}</text>");
}
