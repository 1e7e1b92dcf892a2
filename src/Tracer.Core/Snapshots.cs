using HdrHistogram;

namespace Tracer.Core;

/// <summary>Latency summary of one series over one interval. Latencies are nanoseconds.</summary>
public readonly record struct LatencyStats(
    long Count, long Bytes, long Min, long Mean, long P50, long P90, long P99, long P999, long P9999, long Max)
{
    /// <summary>Percentiles in hundredths of a percent, in field order: p50, p90, p99, p99.9, p99.99.</summary>
    private static readonly int[] s_percentiles = [5000, 9000, 9900, 9990, 9999];

    /// <summary>
    /// Summarises a histogram in one pass. A percentile is the nearest-rank value: the smallest recorded value with
    /// at least p% of all values at or below it (rank ceil(p * N), in integers so 99.9% of 1000 is rank 999
    /// exactly), reported as the top of its bucket, as HdrHistogram reports values.
    /// </summary>
    public static LatencyStats From(HistogramBase h, long bytes)
    {
        long count = h.TotalCount;
        if (count == 0)
            return new LatencyStats(0, bytes, 0, 0, 0, 0, 0, 0, 0, 0);
        Span<long> ranks = stackalloc long[s_percentiles.Length];
        Span<long> values = stackalloc long[s_percentiles.Length];
        for (int i = 0; i < ranks.Length; i++)
            ranks[i] = Math.Max(1, (s_percentiles[i] * count + 9999) / 10000);
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

/// <summary>
/// One point to be written: a measurement, its tags (sorted by key) and its latency fields. When a sink needs the
/// interval's histogram itself (fleet mode, <c>--histograms</c>), <paramref name="EncodedHistogram"/> holds it in
/// HdrHistogram's compressed V2 encoding; otherwise it is null and costs nothing.
/// </summary>
public sealed record SeriesSnapshot(
    string Measurement,
    IReadOnlyList<KeyValuePair<string, string>> Tags,
    LatencyStats Stats,
    byte[]? EncodedHistogram = null)
{
    public string? Tag(string key)
    {
        foreach (var t in Tags)
            if (t.Key == key)
                return t.Value;
        return null;
    }
}

/// <summary>Health of the collector over one interval (measurement <c>alloclat_stats</c>).</summary>
public readonly record struct CollectorStats(long Events, long Lost, long InflightDropped, long SinkDropped);

/// <summary>Everything measured in one interval. Timestamps are Unix nanoseconds; points carry the end.</summary>
public sealed record IntervalSnapshot(
    long StartUnixNs,
    long EndUnixNs,
    string Host,
    IReadOnlyList<SeriesSnapshot> Series,
    CollectorStats Stats)
{
    /// <summary>Number of this interval in the run, from 1: with the host it identifies the interval (fleet mode).</summary>
    public long Sequence { get; init; }

    /// <summary>Further points of this interval (alert transitions, ...), written after the series.</summary>
    public IReadOnlyList<EventPoint> Events { get; init; } = [];

    /// <summary>The last snapshot of the run (the partial interval flushed when tracing stops).</summary>
    public bool Final { get; init; }
}

/// <summary>A consumer of interval snapshots. Sinks never see events or BPF; they read snapshots only.</summary>
public interface ISnapshotSink : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Called once per interval, in order, from one thread. Must not block on I/O for long.</summary>
    ValueTask WriteAsync(IntervalSnapshot snapshot, CancellationToken cancellationToken);

    /// <summary>
    /// Counts of points this sink had to drop since the last call, put into the next snapshot written
    /// (<c>alloclat_stats.sink_dropped</c>).
    /// </summary>
    long TakeDropped() => 0;
}
