using Tracer.Core;

namespace Tracer.Aggregation;

/// <summary>
/// The run summary as <c>alloc_latency_run</c> points (docs/schema.md): one per series with its whole-run
/// latency fields, tagged <c>source</c> with the series' measurement, and one <c>source=alloclat_stats</c> point
/// with the run's totals. Stamped with the end of the run.
/// </summary>
public static class RunPoints
{

    public static IReadOnlyList<EventPoint> From(RunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var points = new List<EventPoint>(summary.Series.Count + 1);
        foreach (var s in summary.Series)
        {
            var tags = s.Tags.Append(new KeyValuePair<string, string>(Schema.Tags.Source, s.Measurement))
                .OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
            var st = s.Stats;
            points.Add(new EventPoint(Schema.Measurements.Run, tags,
            [
                new(Schema.Fields.Count, st.Count), new(Schema.Fields.Bytes, st.Bytes), new(Schema.Fields.Min, st.Min), new(Schema.Fields.Mean, st.Mean),
                new(Schema.Fields.P50, st.P50), new(Schema.Fields.P90, st.P90), new(Schema.Fields.P99, st.P99), new(Schema.Fields.P999, st.P999),
                new(Schema.Fields.P9999, st.P9999), new(Schema.Fields.Max, st.Max), new(Schema.Fields.Start, summary.StartUnixNs),
            ]) { Kind = EventKind.RunSummary });
        }
        var t = summary.Totals;
        var fields = new List<KeyValuePair<string, FieldValue>>
        {
            new(Schema.Fields.Intervals, t.Intervals), new(Schema.Fields.Events, t.Events), new(Schema.Fields.Lost, t.Lost),
            new(Schema.Fields.InflightDropped, t.InflightDropped), new(Schema.Fields.SinkDropped, t.SinkDropped), new(Schema.Fields.Spikes, t.Spikes),
            new(Schema.Fields.Start, summary.StartUnixNs),
        };
        if (t.ProbeCost is { } cost)
        {
            fields.Add(new(Schema.Fields.ProbeCostNs, cost.BiasNs));
            fields.Add(new(Schema.Fields.ProbeCostSteppedNs, cost.SteppedBiasNs));
            if (!cost.Subtracted)
                fields.Add(new(Schema.Fields.RawLatency, 1L));
        }
        points.Add(new EventPoint(Schema.Measurements.Run, [new(Schema.Tags.Source, Schema.Measurements.Stats)], fields) { Kind = EventKind.RunSummary });
        return points;
    }
}
