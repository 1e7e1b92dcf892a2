using System.Text;
using Tracer.Core;

namespace Tracer.Fleet;

/// <summary>
/// One series' histogram over one interval of one host: the unit fleet mode ships and merges (docs/schema.md,
/// "Fleet messages"). Tags are the series' own, sorted by key, without <c>host</c>.
/// </summary>
public sealed record HistogramMessage(
    string Host,
    long Sequence,
    long StartUnixNs,
    long EndUnixNs,
    string Measurement,
    IReadOnlyList<KeyValuePair<string, string>> Tags,
    long Count,
    long Bytes,
    byte[] Histogram)
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    /// <summary>Tags that identify a process on one host and are merged away across the fleet.</summary>
    public static bool IsHostLocal(string tag) => tag is "host" or "pid";

    /// <summary>
    /// The series across the fleet: measurement and tags without host and pid (<c>alloc_latency,allocator=kernel,
    /// comm=nginx,op=mmap,size_class=1M</c>). The Kafka message key, so one series of every host lands in one partition.
    /// </summary>
    public string FleetKey => FleetKeyOf(Measurement, Tags);

    /// <summary>Who sent this and which of its series: dedup identity within a window.</summary>
    public string Identity => $"{Host}\0{Sequence}\0{Tag("pid")}";

    public string? Tag(string key)
    {
        foreach (var t in Tags)
            if (t.Key == key)
                return t.Value;
        return null;
    }

    public static string FleetKeyOf(string measurement, IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        var sb = new StringBuilder(measurement);
        foreach (var (k, v) in tags.OrderBy(t => t.Key, StringComparer.Ordinal))
            if (!IsHostLocal(k))
                sb.Append(',').Append(k).Append('=').Append(v);
        return sb.ToString();
    }

    /// <summary>The messages of one interval snapshot, one per series that carries its histogram.</summary>
    public static IEnumerable<HistogramMessage> From(IntervalSnapshot snapshot)
    {
        foreach (var s in snapshot.Series)
        {
            if (s.EncodedHistogram is not { } hdr)
                continue;
            var tags = s.Tags.Where(t => t.Key != "host").OrderBy(t => t.Key, StringComparer.Ordinal).ToArray();
            yield return new HistogramMessage(snapshot.Host, snapshot.Sequence, snapshot.StartUnixNs, snapshot.EndUnixNs,
                s.Measurement, tags, s.Stats.Count, s.Stats.Bytes, hdr);
        }
    }
}
