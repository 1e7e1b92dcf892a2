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

/// <summary>
/// Sums over every interval of the run. <paramref name="OmittedSeries"/>: series of exited processes not listed (only
/// the slowest few thousand are kept); their calls are in <paramref name="Events"/>. <paramref name="ProbeCost"/>: the
/// probes' calibrated cost, when calibrated.
/// </summary>
public readonly record struct RunTotals(long Intervals, long Events, long Lost, long InflightDropped, long SinkDropped, long Spikes, long OmittedSeries = 0, ProbeCost? ProbeCost = null);
