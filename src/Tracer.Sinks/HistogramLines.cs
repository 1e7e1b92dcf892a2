using System.Buffers;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// The interval histograms as line protocol (<c>--histograms</c>, docs/schema.md <c>alloc_latency_hdr</c>): one
/// point per series and interval with the series' tags, <c>source</c> naming its measurement, and the histogram in
/// HdrHistogram's compressed V2 encoding, base64, so <c>alloclat merge</c> can merge files from many hosts.
/// </summary>
public static class HistogramLines
{

    /// <summary>Writes a point for every series of <paramref name="snapshot"/> that carries its histogram.</summary>
    public static void Write(IntervalSnapshot snapshot, IBufferWriter<byte> output)
    {
        var series = snapshot.Series;
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            if (s.EncodedHistogram is not { } hdr)
                continue;
            var tags = new List<KeyValuePair<string, string>>(s.Tags.Count + 1);
            tags.AddRange(s.Tags);
            tags.Add(new(Schema.Tags.Source, s.Measurement));
            var point = new EventPoint(Schema.Measurements.Histogram, tags,
            [
                new(Schema.Fields.Sequence, snapshot.Sequence),
                new(Schema.Fields.Start, snapshot.StartUnixNs),
                new(Schema.Fields.Count, s.Stats.Count),
                new(Schema.Fields.Bytes, s.Stats.Bytes),
                new(Schema.Fields.Hdr, Convert.ToBase64String(hdr)),
            ]);
            LineProtocol.WriteEvent(point, snapshot.Host, snapshot.EndUnixNs, output);
        }
    }
}
