using Tracer.Core;

namespace Tracer.Aggregation;

/// <summary>
/// The run summary as <c>alloc_latency_run</c> points (docs/schema.md): one per series with its whole-run
/// latency fields, tagged <c>source</c> with the series' measurement, and one <c>source=alloclat_stats</c> point
/// with the run's totals. Stamped with the end of the run.
/// </summary>
public static class RunPoints
{
    public const string Measurement = "alloc_latency_run";

    public static IReadOnlyList<EventPoint> From(RunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var points = new List<EventPoint>(summary.Series.Count + 1);
        foreach (var s in summary.Series)
        {
            var tags = s.Tags.Append(new KeyValuePair<string, string>("source", s.Measurement))
                .OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
            var st = s.Stats;
            points.Add(new EventPoint(Measurement, tags,
            [
                new("count", st.Count), new("bytes", st.Bytes), new("min", st.Min), new("mean", st.Mean),
                new("p50", st.P50), new("p90", st.P90), new("p99", st.P99), new("p999", st.P999),
                new("p9999", st.P9999), new("max", st.Max), new("start", summary.StartUnixNs),
            ]));
        }
        var t = summary.Totals;
        points.Add(new EventPoint(Measurement, [new("source", "alloclat_stats")],
        [
            new("intervals", t.Intervals), new("events", t.Events), new("lost", t.Lost),
            new("inflight_dropped", t.InflightDropped), new("sink_dropped", t.SinkDropped), new("spikes", t.Spikes),
            new("start", summary.StartUnixNs),
        ]));
        return points;
    }
}
