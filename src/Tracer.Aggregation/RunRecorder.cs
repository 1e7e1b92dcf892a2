using Tracer.Core;

namespace Tracer.Aggregation;

/// <summary>
/// Follows the snapshots of a run on the thread that hands them to the sinks: sums the collector's counters and
/// keeps the slowest calls (<c>alloc_spike</c> points). With the run histograms this makes the
/// <see cref="RunSummary"/>.
/// </summary>
public sealed class RunRecorder
{

    private readonly int _keepSpikes;
    private readonly List<EventPoint> _worst = new();
    private long _start = -1, _end, _intervals, _events, _lost, _inflight, _sink, _spikes;
    private string _host = "";
    private ProbeCost? _probeCost;

    /// <param name="keepSpikes">how many of the slowest calls the summary lists</param>
    public RunRecorder(int keepSpikes = 10)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepSpikes);
        _keepSpikes = keepSpikes;
    }

    public void Observe(IntervalSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (_start < 0)
            _start = snapshot.StartUnixNs;
        _end = snapshot.EndUnixNs;
        _host = snapshot.Host;
        _intervals++;
        _events += snapshot.Stats.Events;
        _lost += snapshot.Stats.Lost;
        _inflight += snapshot.Stats.InflightDropped;
        _sink += snapshot.Stats.SinkDropped;
        _probeCost = snapshot.Stats.ProbeCost ?? _probeCost;
        foreach (var e in snapshot.Events)
        {
            if (e.Measurement != Schema.Measurements.Spike)
                continue;
            _spikes++;
            _worst.Add(e);
        }
        if (_worst.Count > 4 * _keepSpikes + 16)
            Trim();
    }

    /// <summary>The run so far; <paramref name="histograms"/> must not be written to while this runs.</summary>
    public RunSummary Summarize(RunHistograms histograms)
    {
        ArgumentNullException.ThrowIfNull(histograms);
        Trim();
        var series = histograms.Summarize();
        var totals = new RunTotals(_intervals, _events, _lost, _inflight, _sink, _spikes, histograms.OmittedSeries, _probeCost);
        return new RunSummary(Math.Max(_start, 0), _end, _host, series, totals, _worst.ToList());
    }

    private void Trim()
    {
        // Slowest first; equal latencies keep the earlier call first.
        var kept = _worst.OrderByDescending(Latency).ThenBy(e => e.TimestampUnixNs ?? 0).Take(_keepSpikes).ToList();
        _worst.Clear();
        _worst.AddRange(kept);
    }

    private static long Latency(EventPoint e) => e.Field(Schema.Fields.Latency) is { Kind: FieldKind.Integer } v ? v.Integer : 0;
}
