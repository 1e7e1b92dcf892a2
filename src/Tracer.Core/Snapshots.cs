namespace Tracer.Core;

/// <summary>Latency summary of one series over one interval. Latencies are nanoseconds.</summary>
public readonly record struct LatencyStats(
    long Count, long Bytes, long Min, long Mean, long P50, long P90, long P99, long P999, long P9999, long Max);

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
/// <param name="TargetsFull">processes or threads of targets not followed because the kernel's target table was full</param>
/// <param name="ProbeCost">the probes' calibrated cost (<c>probe_cost_ns</c>), when calibrated: the same every interval</param>
public readonly record struct CollectorStats(long Events, long Lost, long InflightDropped, long SinkDropped, long TargetsFull = 0, ProbeCost? ProbeCost = null);

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
