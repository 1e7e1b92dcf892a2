namespace Tracer.Core;

/// <summary>
/// The whole run: per series, latency statistics of the merged interval histograms (never combined from
/// interval percentiles, which cannot be combined), the collector's totals and the slowest calls.
/// </summary>
public sealed record RunSummary(
    long StartUnixNs,
    long EndUnixNs,
    string Host,
    IReadOnlyList<SeriesSnapshot> Series,
    RunTotals Totals,
    IReadOnlyList<EventPoint> WorstSpikes);

/// <summary>Sums over every interval of the run.</summary>
public readonly record struct RunTotals(long Intervals, long Events, long Lost, long InflightDropped, long SinkDropped, long Spikes);
