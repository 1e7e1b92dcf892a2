namespace Alloclat.Bench;

static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0)
            return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>
    /// Nearest-rank percentile, the definition alloclat's own percentiles use. The rank is computed in integer
    /// hundredths of a percent: in floating point 99.9 / 100 * 6000 is a hair above 5994 and would round up to the
    /// next rank, which in a sparse tail can be far from the right value.
    /// </summary>
    public static long Percentile(long[] sorted, double p)
    {
        if (sorted.Length == 0)
            return 0;
        long hundredths = (long)Math.Round(p * 100);
        long rank = (hundredths * sorted.Length + 9999) / 10000;
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }
}

/// <summary>Per-round values of one figure: each compares a traced run with the baseline of the same round.</summary>
sealed class Series
{
    public List<double> Values { get; } = new();
    public double Median => Stats.Median(Values);
    public double Min => Values.Count > 0 ? Values.Min() : double.NaN;
    public double Max => Values.Count > 0 ? Values.Max() : double.NaN;
    public void Add(double v) => Values.Add(v);
}
