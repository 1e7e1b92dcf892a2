using System.Globalization;
using System.IO.Compression;
using HdrHistogram;
using HdrHistogram.Utilities;

namespace Tracer.Kafka.Tests;

/// <summary>
/// What the fleet percentiles must be, computed here without alloclat's code: the collectors' .lp files
/// (<c>--histograms</c>) read with a plain split, histograms inflated and decoded by HdrHistogram itself, merged
/// with its <c>Add</c>, and nearest-rank percentiles (rank ceil(p * N)) read off the merged counts.
/// </summary>
public static class IndependentHistograms
{
    public sealed record Interval(string Host, long Sequence, long End, string Source, SortedDictionary<string, string> Tags, long Count, HistogramBase Histogram);

    public sealed record Expected(long Count, long Min, long Max, long P50, long P90, long P99, long P999, long P9999, int Hosts);

    public static List<Interval> Read(string lpFile)
    {
        var result = new List<Interval>();
        foreach (var line in File.ReadLines(lpFile))
        {
            if (!line.StartsWith("alloc_latency_hdr,", StringComparison.Ordinal))
                continue;
            // alloclat's test workloads have no spaces, commas or equals signs in their names: no escapes to undo.
            var parts = line.Split(' ');
            Assert.Equal(3, parts.Length);
            var tags = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var t in parts[0].Split(',').Skip(1))
            {
                var kv = t.Split('=');
                tags[kv[0]] = kv[1];
            }
            var fields = parts[1].Split(',').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1]);
            string host = tags["host"], source = tags["source"];
            tags.Remove("host");
            tags.Remove("source");
            var histogram = Decode(Convert.FromBase64String(fields["hdr"].Trim('"')));
            long count = long.Parse(fields["count"].TrimEnd('i'), CultureInfo.InvariantCulture);
            Assert.Equal(count, histogram.TotalCount);
            result.Add(new Interval(host, long.Parse(fields["seq"].TrimEnd('i'), CultureInfo.InvariantCulture),
                long.Parse(parts[2], CultureInfo.InvariantCulture), source, tags, count, histogram));
        }
        return result;
    }

    /// <summary>The compressed V2 format: cookie, length, zlib stream of the uncompressed encoding.</summary>
    public static HistogramBase Decode(byte[] compressed)
    {
        Assert.Equal(0x1c849314, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(compressed));
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(new MemoryStream(compressed, 8, compressed.Length - 8), CompressionMode.Decompress))
            z.CopyTo(inflated);
        return HistogramEncoding.DecodeFromByteBuffer(ByteBuffer.Allocate(inflated.ToArray()), 0, null);
    }

    /// <summary>Fleet key (measurement_fleet + tags without pid) and window end to the expected fields.</summary>
    public static Dictionary<string, Expected> Fleet(IEnumerable<Interval> intervals, long intervalNs)
    {
        var result = new Dictionary<string, Expected>(StringComparer.Ordinal);
        foreach (var g in intervals.GroupBy(i => Key(i.Source + "_fleet", i.Tags.Where(t => t.Key != "pid"), (i.End + intervalNs - 1) / intervalNs * intervalNs)))
        {
            var sum = new LongHistogram(1, 60_000_000_000, 3);
            foreach (var i in g)
                sum.Add(i.Histogram);
            result[g.Key] = Percentiles(sum, g.Select(i => i.Host).Distinct().Count());
        }
        return result;
    }

    public static string Key(string measurement, IEnumerable<KeyValuePair<string, string>> tags, long time) =>
        measurement + "," + string.Join(",", tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}")) + "@" + time.ToString(CultureInfo.InvariantCulture);

    private static Expected Percentiles(HistogramBase h, int hosts)
    {
        long n = h.TotalCount;
        long Rank(int hundredths) => Math.Max(1, (hundredths * n + 9999) / 10000);
        var values = h.RecordedValues().Select(v => (v.ValueIteratedTo, v.CountAtValueIteratedTo)).ToList();
        long At(long rank)
        {
            long cumulative = 0;
            foreach (var (value, count) in values)
            {
                cumulative += count;
                if (cumulative >= rank)
                    return h.HighestEquivalentValue(value);
            }
            throw new InvalidOperationException("rank beyond the count");
        }
        return new Expected(n, h.LowestEquivalentValue(values[0].ValueIteratedTo), h.HighestEquivalentValue(values[^1].ValueIteratedTo),
            At(Rank(5000)), At(Rank(9000)), At(Rank(9900)), At(Rank(9990)), At(Rank(9999)), hosts);
    }
}
