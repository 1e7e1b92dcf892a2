using System.Globalization;
using Tracer.Core;

namespace Tracer.DotNet;

/// <summary>Which heap an allocation tick is for (GCAllocationTick's AllocationKind).</summary>
public enum AllocationKind
{
    Small = 0,
    Large = 1,
    Pinned = 2,
}

/// <summary>
/// The runtime's allocation ticks of the large and pinned object heaps over one interval, per process and heap:
/// written as <c>dotnet_alloc_sample</c> points. A tick is raised about every 100 KB allocated on a heap and names
/// the object that crossed the mark, so the sizes are those of sampled objects, and the bytes (each tick's
/// amount allocated since the previous one) are what the heap gave out. Owned by the polling thread.
/// </summary>
public sealed class AllocationSamples
{
    private const int TopTypes = 5;

    private sealed class Series
    {
        public readonly List<long> Sizes = new();
        public readonly Dictionary<string, long> BytesByType = new(StringComparer.Ordinal);
        public long Bytes;
        public string Comm = "";
    }

    private readonly Dictionary<(int Pid, AllocationKind Kind), Series> _series = new();

    public void Add(int pid, string comm, AllocationKind kind, long amount, long objectSize, string typeName)
    {
        if (kind == AllocationKind.Small)
            return;
        if (!_series.TryGetValue((pid, kind), out var s))
            _series[(pid, kind)] = s = new Series();
        s.Comm = comm;
        s.Sizes.Add(objectSize);
        s.Bytes += amount;
        string type = typeName.Length > 0 ? typeName : "?";
        s.BytesByType[type] = s.BytesByType.GetValueOrDefault(type) + amount;
    }

    /// <summary>The points of the interval just closed (<paramref name="seconds"/> long), and a fresh start.</summary>
    public List<EventPoint> Take(double seconds)
    {
        var points = new List<EventPoint>(_series.Count);
        foreach (var ((pid, kind), s) in _series.OrderBy(e => e.Key.Pid).ThenBy(e => e.Key.Kind))
        {
            s.Sizes.Sort();
            var sizes = s.Sizes;
            long sum = 0;
            foreach (long v in sizes)
                sum += v;
            string top = string.Join(";", s.BytesByType.OrderByDescending(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal)
                .Take(TopTypes).Select(t => t.Key + ":" + t.Value.ToString(CultureInfo.InvariantCulture)));
            points.Add(new EventPoint(Schema.Measurements.DotnetAllocSample,
            [
                new(Schema.Tags.Allocator, "dotnet"),
                new(Schema.Tags.Comm, s.Comm),
                new(Schema.Tags.Kind, kind == AllocationKind.Large ? "large" : "pinned"),
                new(Schema.Tags.Pid, pid.ToString(CultureInfo.InvariantCulture)),
            ],
            [
                new(Schema.Fields.Samples, (long)sizes.Count),
                new(Schema.Fields.Bytes, s.Bytes),
                new(Schema.Fields.BytesPerSecond, seconds > 0 ? (long)Math.Round(s.Bytes / seconds) : s.Bytes),
                new(Schema.Fields.SizeMin, sizes[0]),
                new(Schema.Fields.SizeMean, (long)Math.Round((double)sum / sizes.Count)),
                new(Schema.Fields.SizeP50, Rank(sizes, 50)),
                new(Schema.Fields.SizeP99, Rank(sizes, 99)),
                new(Schema.Fields.SizeMax, sizes[^1]),
                new(Schema.Fields.TopTypes, top),
            ]));
        }
        _series.Clear();
        return points;
    }

    /// <summary>Nearest rank: the smallest sampled size with at least p% of the samples at or below it.</summary>
    private static long Rank(List<long> sorted, int percent) =>
        sorted[(int)Math.Max(0, (percent * (long)sorted.Count + 99) / 100 - 1)];
}
