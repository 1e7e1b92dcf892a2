using HdrHistogram;
using Tracer.Core;

namespace Tracer.Aggregation;

/// <summary>An HDR histogram summarised as the latency fields every point carries.</summary>
public static class HistogramStats
{
    /// <summary>Percentiles in hundredths of a percent, in field order: p50, p90, p99, p99.9, p99.99.</summary>
    internal static readonly int[] Percentiles = [5000, 9000, 9900, 9990, 9999];

    /// <summary>The nearest rank of a percentile (hundredths of a percent) among <paramref name="count"/> values: ceil(p * N), at least 1.</summary>
    internal static long Rank(int perTenThousand, long count) => Math.Max(1, (perTenThousand * count + 9999) / 10000);

    /// <summary>
    /// Summarises a histogram in one pass. A percentile is the nearest-rank value: the smallest recorded value with
    /// at least p% of all values at or below it (rank ceil(p * N), in integers so 99.9% of 1000 is rank 999
    /// exactly), reported as the top of its bucket, as HdrHistogram reports values.
    /// </summary>
    public static LatencyStats Summarize(HistogramBase h, long bytes)
    {
        long count = h.TotalCount;
        if (count == 0)
            return new LatencyStats(0, bytes, 0, 0, 0, 0, 0, 0, 0, 0);
        Span<long> ranks = stackalloc long[Percentiles.Length];
        Span<long> values = stackalloc long[Percentiles.Length];
        for (int i = 0; i < ranks.Length; i++)
            ranks[i] = Rank(Percentiles[i], count);
        long cumulative = 0, min = -1, last = 0;
        int next = 0;
        foreach (var v in h.RecordedValues())
        {
            if (min < 0)
                min = h.LowestEquivalentValue(v.ValueIteratedTo);
            cumulative += v.CountAddedInThisIterationStep;
            last = v.ValueIteratedTo;
            while (next < ranks.Length && cumulative >= ranks[next])
                values[next++] = h.HighestEquivalentValue(v.ValueIteratedTo);
        }
        long max = h.HighestEquivalentValue(last);
        while (next < ranks.Length)
            values[next++] = max;
        return new LatencyStats(count, bytes, Math.Max(min, 0), (long)Math.Round(h.GetMean()),
            values[0], values[1], values[2], values[3], values[4], max);
    }
}
