using System.Text.Json;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>The run summary as JSON (<c>--summary FILE.json</c>; fields in docs/schema.md).</summary>
public static class RunSummaryJson
{
    public static void Write(RunSummary summary, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(summary);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("host", summary.Host);
        w.WriteNumber("start_unix_ns", summary.StartUnixNs);
        w.WriteNumber("end_unix_ns", summary.EndUnixNs);
        var t = summary.Totals;
        w.WriteStartObject("totals");
        w.WriteNumber("intervals", t.Intervals);
        w.WriteNumber("events", t.Events);
        w.WriteNumber("lost", t.Lost);
        w.WriteNumber("inflight_dropped", t.InflightDropped);
        w.WriteNumber("sink_dropped", t.SinkDropped);
        w.WriteNumber("spikes", t.Spikes);
        w.WriteNumber("omitted_series", t.OmittedSeries);
        w.WriteEndObject();
        if (t.ProbeCost is { } cost)
        {
            w.WriteStartObject("probe_cost");
            w.WriteNumber("probe_cost_ns", cost.BiasNs);
            w.WriteNumber("probe_cost_stepped_ns", cost.SteppedBiasNs);
            w.WriteBoolean("subtracted", cost.Subtracted);
            w.WriteNumber("tracked_cpus", cost.TrackedCpus);
            w.WriteNumber("samples", cost.Samples);
            w.WriteNumber("call_ns", Math.Round(cost.CallNs, 1));
            w.WriteNumber("small_pair_ns", Math.Round(cost.SmallPairNs, 1));
            w.WriteNumber("traced_pair_ns", Math.Round(cost.TracedPairNs, 1));
            w.WriteNumber("bare_pair_ns", Math.Round(cost.BarePairNs, 1));
            w.WriteEndObject();
        }
        w.WriteStartArray("series");
        foreach (var s in summary.Series.OrderBy(s => s.Measurement, StringComparer.Ordinal)
                     .ThenBy(s => string.Join(',', s.Tags.Select(kv => kv.Key + "=" + kv.Value)), StringComparer.Ordinal))
        {
            w.WriteStartObject();
            w.WriteString("measurement", s.Measurement);
            WriteTags(w, s.Tags);
            var st = s.Stats;
            w.WriteNumber("count", st.Count);
            w.WriteNumber("bytes", st.Bytes);
            w.WriteNumber("min", st.Min);
            w.WriteNumber("mean", st.Mean);
            w.WriteNumber("p50", st.P50);
            w.WriteNumber("p90", st.P90);
            w.WriteNumber("p99", st.P99);
            w.WriteNumber("p999", st.P999);
            w.WriteNumber("p9999", st.P9999);
            w.WriteNumber("max", st.Max);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("worst_spikes");
        foreach (var e in summary.WorstSpikes)
        {
            w.WriteStartObject();
            w.WriteString("measurement", e.Measurement);
            w.WriteNumber("time_unix_ns", e.TimestampUnixNs ?? summary.EndUnixNs);
            WriteTags(w, e.Tags);
            w.WriteStartObject("fields");
            foreach (var (key, value) in e.Fields)
            {
                switch (value.Kind)
                {
                    case FieldKind.Integer:
                        w.WriteNumber(key, value.Integer);
                        break;
                    case FieldKind.Float:
                        w.WriteNumber(key, value.Float);
                        break;
                    case FieldKind.Boolean:
                        w.WriteBoolean(key, value.Boolean);
                        break;
                    default:
                        w.WriteString(key, value.String);
                        break;
                }
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteTags(Utf8JsonWriter w, IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        w.WriteStartObject("tags");
        foreach (var (key, value) in tags)
            w.WriteString(key, value);
        w.WriteEndObject();
    }
}
