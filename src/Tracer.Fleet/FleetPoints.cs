using System.Buffers;
using Tracer.Aggregation;
using Tracer.Core;
using Tracer.Sinks;

namespace Tracer.Fleet;

/// <summary>
/// Closed windows as points: <c>alloc_latency_fleet</c> (and <c>gc_pause_fleet</c>) with the series' tags
/// without host and pid, the fields of <c>alloc_latency</c> computed from the merged histogram, and
/// <c>hosts</c>, the number of hosts that contributed (docs/schema.md).
/// </summary>
public static class FleetPoints
{

    /// <summary>
    /// The window as an interval snapshot (host <c>fleet</c>), so the alert rules judge fleet series as they judge
    /// a host's; <paramref name="hosts"/> gets each series' host count, in the snapshot's order.
    /// </summary>
    public static IntervalSnapshot ToSnapshot(FleetWindow window, List<int> hosts) => ToSnapshot([window], hosts);

    /// <summary>Windows of one end from several partitions (their series are disjoint) as one snapshot.</summary>
    public static IntervalSnapshot ToSnapshot(IReadOnlyList<FleetWindow> windows, List<int> hosts)
    {
        var window = windows[0];
        var series = new List<SeriesSnapshot>(windows.Sum(w => w.Series.Count));
        foreach (var s in windows.SelectMany(w => w.Series).OrderBy(s => HistogramMessage.FleetKeyOf(s.Measurement, s.Tags), StringComparer.Ordinal))
        {
            series.Add(new SeriesSnapshot(s.Measurement + Schema.Measurements.FleetSuffix, s.Tags, HistogramStats.Summarize(s.Histogram, s.Bytes)));
            hosts.Add(s.Hosts);
        }
        return new IntervalSnapshot(window.StartUnixNs, window.EndUnixNs, "fleet", series, default);
    }

    /// <summary>Writes the fleet series of <paramref name="snapshot"/> and its events (alerts), without a host tag.</summary>
    public static void Write(IntervalSnapshot snapshot, IReadOnlyList<int> hosts, IBufferWriter<byte> output)
    {
        for (int i = 0; i < snapshot.Series.Count; i++)
        {
            var s = snapshot.Series[i];
            var st = s.Stats;
            var point = new EventPoint(s.Measurement, s.Tags,
            [
                new(Schema.Fields.Count, st.Count), new(Schema.Fields.Bytes, st.Bytes), new(Schema.Fields.Min, st.Min), new(Schema.Fields.Mean, st.Mean),
                new(Schema.Fields.P50, st.P50), new(Schema.Fields.P90, st.P90), new(Schema.Fields.P99, st.P99), new(Schema.Fields.P999, st.P999), new(Schema.Fields.P9999, st.P9999),
                new(Schema.Fields.Max, st.Max), new(Schema.Fields.Hosts, (long)hosts[i]),
            ]);
            LineProtocol.WriteEvent(point, null, snapshot.EndUnixNs, output);
        }
        foreach (var e in snapshot.Events)
            LineProtocol.WriteEvent(e, null, e.TimestampUnixNs ?? snapshot.EndUnixNs, output);
    }
}
