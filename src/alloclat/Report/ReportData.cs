using Tracer.Core;
using Tracer.Sinks;

namespace Alloclat.Cli.Report;

/// <summary>One interval of one series: its percentiles (ns) and count.</summary>
public readonly record struct IntervalValues(long TimestampNs, long P50, long P99, long P999, long Max, long Count);

/// <summary>A latency series (alloc_latency or gc_pause) over the run, in time order.</summary>
public sealed record SeriesData(string Measurement, string Label, IReadOnlyDictionary<string, string> Tags, IReadOnlyList<IntervalValues> Intervals)
{
    public long Count => Intervals.Sum(v => v.Count);
    public long Max => Intervals.Count == 0 ? 0 : Intervals.Max(v => v.Max);
    public long WorstP999 => Intervals.Count == 0 ? 0 : Intervals.Max(v => v.P999);
}

/// <summary>One slow call (alloc_spike).</summary>
/// <param name="Parts">where the time went, each <c>*_ns</c> field that is not zero (reclaim, compaction, off-CPU, ...)</param>
public sealed record SpikeData(long TimestampNs, string Comm, string Pid, string Op, string Allocator, string SizeClass, long Size, long LatencyNs, string Cause, string Stack,
    IReadOnlyList<(string Name, long Ns)> Parts, long Faults);

/// <summary>
/// What a report shows, read from one line-protocol file: latency series, GC pauses, spikes, and per size class
/// and interval the worst p99.9 (the heatmap).
/// </summary>
public sealed class ReportData
{
    private static readonly string[] s_labelTags = ["comm", "pid", "thread", "container", "runtime", "allocator", "op", "size_class", "generation", "reason", "type"];

    public required IReadOnlyList<SeriesData> Latency { get; init; }
    public required IReadOnlyList<SeriesData> GcPauses { get; init; }
    public required IReadOnlyList<SpikeData> Spikes { get; init; }
    /// <summary>Distinct interval timestamps, in order.</summary>
    public required IReadOnlyList<long> Times { get; init; }
    /// <summary>Size classes, smallest first, each with (time index, worst p99.9, count) of the intervals it had calls in.</summary>
    public required IReadOnlyList<(string SizeClass, IReadOnlyList<(int Time, long P999, long Count)> Cells)> Heatmap { get; init; }
    public long Lost { get; init; }
    public long Events { get; init; }
    public string Hosts { get; init; } = "";

    public static ReportData From(IEnumerable<LinePoint> points)
    {
        var latency = new Dictionary<string, (string M, IReadOnlyDictionary<string, string> Tags, List<IntervalValues> Values)>();
        var spikes = new List<SpikeData>();
        var times = new SortedSet<long>();
        var hosts = new SortedSet<string>();
        long lost = 0, events = 0;
        foreach (var p in points)
        {
            if (p.Tag("host") is { } h)
                hosts.Add(h);
            switch (p.Measurement)
            {
                case Schema.Measurements.Latency or Schema.Measurements.GcPause:
                {
                    string key = p.Measurement + "|" + string.Join(",", p.Tags.Where(t => t.Key != "host").OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));
                    if (!latency.TryGetValue(key, out var s))
                        latency[key] = s = (p.Measurement, p.Tags, new List<IntervalValues>());
                    s.Values.Add(new IntervalValues(p.TimestampNs, p.Long("p50"), p.Long("p99"), p.Long("p999"), p.Long("max"), p.Long("count")));
                    times.Add(p.TimestampNs);
                    break;
                }
                case Schema.Measurements.Spike:
                    spikes.Add(new SpikeData(p.TimestampNs, p.Tag("comm") ?? "", p.Tag("pid") ?? "", p.Tag("op") ?? "", p.Tag("allocator") ?? "", p.Tag("size_class") ?? "",
                        p.Long("size"), p.Long("latency"), p.Tag("cause") ?? p.Text("cause") ?? "", p.Text("stack") ?? "",
                        p.Fields.Where(f => f.Key.EndsWith("_ns", StringComparison.Ordinal) && f.Value is long ns && ns > 0)
                            .Select(f => (f.Key[..^3].Replace('_', ' '), (long)f.Value)).ToList(),
                        p.Long("faults")));
                    break;
                case Schema.Measurements.Stats:
                    lost += p.Long("lost");
                    events += p.Long("events");
                    break;
            }
        }
        var timeList = times.ToList();
        var all = latency.Values.Select(s => new SeriesData(s.M, Label(s.Tags), s.Tags, s.Values.OrderBy(v => v.TimestampNs).ToList())).ToList();
        var alloc = all.Where(s => s.Measurement == Schema.Measurements.Latency).OrderByDescending(s => s.WorstP999).ToList();
        var index = timeList.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);
        var heat = alloc.GroupBy(s => s.Tags.GetValueOrDefault("size_class", "?"))
            .OrderBy(g => SizeBytes(g.Key))
            .Select(g => (g.Key, (IReadOnlyList<(int, long, long)>)g.SelectMany(s => s.Intervals)
                .GroupBy(v => v.TimestampNs)
                .Select(c => (index[c.Key], c.Max(v => v.P999), c.Sum(v => v.Count)))
                .OrderBy(c => c.Item1).ToList()))
            .ToList();
        return new ReportData
        {
            Latency = alloc,
            GcPauses = all.Where(s => s.Measurement == Schema.Measurements.GcPause).OrderByDescending(s => s.WorstP999).ToList(),
            Spikes = spikes.OrderByDescending(s => s.LatencyNs).ToList(),
            Times = timeList,
            Heatmap = heat,
            Lost = lost,
            Events = events,
            Hosts = string.Join(", ", hosts),
        };
    }

    private static string Label(IReadOnlyDictionary<string, string> tags) =>
        string.Join(" ", s_labelTags.Where(tags.ContainsKey).Select(k => k is "comm" or "op" or "size_class" or "runtime" ? tags[k] : $"{k}={tags[k]}"));

    /// <summary><c>512B</c>, <c>64K</c>, <c>1M</c>, <c>2G</c> as bytes, for ordering.</summary>
    public static double SizeBytes(string sizeClass)
    {
        if (sizeClass.Length < 2 || !double.TryParse(sizeClass[..^1], System.Globalization.CultureInfo.InvariantCulture, out double n))
            return double.MaxValue;
        return sizeClass[^1] switch { 'B' => n, 'K' => n * 1024, 'M' => n * 1024 * 1024, 'G' => n * 1024 * 1024 * 1024, _ => double.MaxValue };
    }
}
