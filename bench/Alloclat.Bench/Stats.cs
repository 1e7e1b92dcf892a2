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

    /// <summary>Nearest-rank percentile, the definition alloclat's own percentiles use.</summary>
    public static long Percentile(long[] sorted, double p)
    {
        if (sorted.Length == 0)
            return 0;
        int rank = (int)Math.Ceiling(p / 100 * sorted.Length);
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
