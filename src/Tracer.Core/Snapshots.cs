using HdrHistogram;

namespace Tracer.Core;

/// <summary>Latency summary of one series over one interval. Latencies are nanoseconds.</summary>
public readonly record struct LatencyStats(
    long Count, long Bytes, long Min, long Mean, long P50, long P90, long P99, long P999, long P9999, long Max)
{
    public static LatencyStats From(HistogramBase h, long bytes)
    {
        long count = h.TotalCount;
        if (count == 0)
            return new LatencyStats(0, bytes, 0, 0, 0, 0, 0, 0, 0, 0);
        return new LatencyStats(
            count, bytes, MinRecorded(h), (long)Math.Round(h.GetMean()),
            h.GetValueAtPercentile(50), h.GetValueAtPercentile(90), h.GetValueAtPercentile(99),
            h.GetValueAtPercentile(99.9), h.GetValueAtPercentile(99.99), h.GetMaxValue());
    }

    private static long MinRecorded(HistogramBase h)
    {
        foreach (var v in h.RecordedValues())
            return h.LowestEquivalentValue(v.ValueIteratedTo);
        return 0;
    }
}

/// <summary>One point to be written: a measurement, its tags (sorted by key) and its latency fields.</summary>
public sealed record SeriesSnapshot(
    string Measurement,
    IReadOnlyList<KeyValuePair<string, string>> Tags,
    LatencyStats Stats,
    HistogramBase? Histogram = null)
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
    CollectorStats Stats);

/// <summary>A consumer of interval snapshots. Sinks never see events or BPF; they read snapshots only.</summary>
public interface ISnapshotSink : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Called once per interval, in order, from one thread. Must not block on I/O for long.</summary>
    ValueTask WriteAsync(IntervalSnapshot snapshot, CancellationToken cancellationToken);

    /// <summary>Counts of points this sink had to drop since the last call (reported in alloclat_stats).</summary>
    long TakeDropped() => 0;
}
