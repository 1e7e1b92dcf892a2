using System.Text;
using HdrHistogram;
using Tracer.Core;

namespace Tracer.Aggregation;

/// <summary>
/// Interval histograms per series. Owned by one thread: the polling thread records into it and takes the
/// snapshot at the end of each interval, so neither path needs a lock.
/// </summary>
public sealed class SeriesTable : IAllocationRecorder
{
    private sealed class Series
    {
        // Sparse while the series fills few buckets; a dense histogram goes back to the pool after an idle interval.
        public readonly IntervalCounts Counts = new();
        public readonly byte[] Comm = new byte[16];
        public int CommLength;
        public string? Thread;
        public KeyValuePair<string, string>[] Tags = [];
        public long Bytes;
        public int IdleIntervals;
    }

    private readonly Dictionary<SeriesKey, Series> _series = new();
    // Exited processes, kept for two snapshots: the last sample of a process can be read just after its exit.
    private HashSet<int> _exited = new(), _exitedBefore = new();
    // A dense histogram is about 220 KB: only series that fill many buckets take one (IntervalCounts), and series that
    // come and go, and series idle for an interval, give theirs back to the pool, so memory follows the busy series
    // at once, not every series there ever was.
    private readonly Stack<Series> _free = new();
    private const int MaxFree = 64;
    private readonly HistogramPool _pool;
    private readonly Action<int>? _forgotten;
    private readonly int _evictAfterIdleIntervals;
    private readonly HistogramEncoder _encoder = new();
    private readonly Func<int, string?>? _containerOf;
    private readonly RunHistograms? _run;

    /// <param name="keepHistograms">attach each interval histogram, encoded, to its snapshot (fleet mode, --histograms)</param>
    /// <param name="evictAfterIdleIntervals">forget a series after this many intervals without events</param>
    /// <param name="containerOf">the <c>container</c> tag of a process (null: none), asked when a series' tags are built</param>
    /// <param name="run">where each closed interval histogram is also merged, for the run summary</param>
    /// <param name="processForgotten">told of each exited process once its last series is gone (two snapshots after its exit), so what others keep for its tags can go too</param>
    public SeriesTable(bool keepHistograms = false, int evictAfterIdleIntervals = 60, Func<int, string?>? containerOf = null, RunHistograms? run = null,
        Action<int>? processForgotten = null)
    {
        _pool = run?.Pool ?? new HistogramPool();
        _forgotten = processForgotten;
        KeepHistograms = keepHistograms;
        _evictAfterIdleIntervals = evictAfterIdleIntervals;
        _containerOf = containerOf;
        _run = run;
    }

    public bool KeepHistograms { get; }

    public int Count => _series.Count;

    public void Record(in SeriesKey key, ulong size, long latencyNs, ReadOnlySpan<byte> comm) =>
        Record(key, size, latencyNs, comm, default);

    public void Record(in SeriesKey key, ulong size, long latencyNs, ReadOnlySpan<byte> comm, ReadOnlySpan<byte> thread)
    {
        var s = Find(key, comm, thread);
        s.Counts.Record(LatencyHistograms.Clamp(latencyNs), 1, _pool);
        s.Bytes += (long)size;
    }

    public void RecordMany(in SeriesKey key, ulong size, long latencyNs, long count, ReadOnlySpan<byte> comm)
    {
        if (count <= 0)
            return;
        var s = Find(key, comm, default);
        s.Counts.Record(LatencyHistograms.Clamp(latencyNs), count, _pool);
        s.Bytes += (long)size;
    }

    private Series Find(in SeriesKey key, ReadOnlySpan<byte> comm, ReadOnlySpan<byte> thread)
    {
        if (!_series.TryGetValue(key, out var s))
        {
            s = _free.Count > 0 ? _free.Pop() : new Series();
            _series.Add(key, s);
            if (key.Tid != 0)
            {
                int end = thread.IndexOf((byte)0);
                s.Thread = Encoding.UTF8.GetString(end < 0 ? thread : thread[..end]);
            }
        }
        int nul = comm.IndexOf((byte)0);
        var name = nul < 0 ? comm : comm[..nul];
        if (name.Length > s.Comm.Length)
            name = name[..s.Comm.Length];
        // A process renames itself on exec; the tags are rebuilt only then.
        if (s.Tags.Length == 0 || !name.SequenceEqual(s.Comm.AsSpan(0, s.CommLength)))
        {
            name.CopyTo(s.Comm);
            s.CommLength = name.Length;
            s.Tags = WithTargetTags(key, s, BuildTags(key, Encoding.UTF8.GetString(name)));
        }
        return s;
    }

    /// <summary>Series of this process are forgotten once the next snapshot has reported them.</summary>
    public void ProcessExited(int pid) => _exited.Add(pid);

    /// <summary>
    /// Summarises and resets every series that saw events; forgets series idle for too long, and those of processes
    /// that exited.
    /// </summary>
    public IReadOnlyList<SeriesSnapshot> TakeSnapshot()
    {
        var result = new List<SeriesSnapshot>();
        List<SeriesKey>? evict = null;
        foreach (var (key, s) in _series)
        {
            bool exited = (_exited.Count > 0 && _exited.Contains(key.Pid)) || (_exitedBefore.Count > 0 && _exitedBefore.Contains(key.Pid));
            if (exited)
                (evict ??= new()).Add(key);
            var counts = s.Counts;
            if (counts.TotalCount == 0)
            {
                counts.Release(_pool);
                if (!exited && ++s.IdleIntervals >= _evictAfterIdleIntervals)
                    (evict ??= new()).Add(key);
                continue;
            }
            s.IdleIntervals = 0;
            result.Add(new SeriesSnapshot(MeasurementOf(key.Op), s.Tags, counts.Summarize(s.Bytes),
                KeepHistograms ? counts.Encode(_encoder, _pool) : null));
            _run?.Add(key, MeasurementOf(key.Op), s.Tags, counts, s.Bytes);
            counts.Reset();
            s.Bytes = 0;
        }
        if (evict is not null)
            foreach (var k in evict)
            {
                if (!_series.Remove(k, out var gone))
                    continue;
                gone.Counts.Release(_pool);
                if (_free.Count < MaxFree)
                {
                    gone.Bytes = 0;
                    gone.IdleIntervals = 0;
                    gone.CommLength = 0;
                    gone.Tags = [];
                    _free.Push(gone);
                }
            }
        // A process that exited an interval ago (its late events counted) adds nothing more to the run.
        if (_run is not null && _exitedBefore.Count > 0)
            _run.Freeze(_exitedBefore);
        if (_forgotten is not null)
            foreach (int pid in _exitedBefore)
                _forgotten(pid);
        (_exitedBefore, _exited) = (_exited, _exitedBefore);
        _exited.Clear();
        return result;
    }

    /// <summary><c>container</c> (where the process runs) and, per thread, <c>thread</c>, after the series' own tags.</summary>
    private KeyValuePair<string, string>[] WithTargetTags(in SeriesKey key, Series s, KeyValuePair<string, string>[] tags)
    {
        string? container = _containerOf?.Invoke(key.Pid);
        if (container is null && s.Thread is null)
            return tags;
        var all = new List<KeyValuePair<string, string>>(tags);
        if (container is not null)
            all.Add(new(Schema.Tags.Container, container));
        if (s.Thread is not null)
            all.Add(new(Schema.Tags.Thread, s.Thread.Length == 0 ? "?" : s.Thread));
        all.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return [.. all];
    }

    public static string MeasurementOf(AllocOp op) => op == AllocOp.GcPause ? Schema.Measurements.GcPause : Schema.Measurements.Latency;

    private static KeyValuePair<string, string>[] BuildTags(in SeriesKey key, string comm) => key.Op != AllocOp.GcPause
        ? AllocationTags(key, comm)
        : key.Gc.Known
        ?
        [
            new(Schema.Tags.Comm, comm),
            new(Schema.Tags.Generation, key.Gc.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(Schema.Tags.Pid, key.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(Schema.Tags.Reason, DotnetGcNames.Reason(key.Gc.Reason)),
            new(Schema.Tags.Runtime, Allocators.Name(key.Allocator)),
            new(Schema.Tags.Type, DotnetGcNames.Type(key.Gc.Type)),
        ]
        : key.GoStopReason != 0
        ?
        [
            new(Schema.Tags.Comm, comm),
            new(Schema.Tags.Pid, key.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(Schema.Tags.Reason, GoStopReasons.Name((byte)(key.GoStopReason - 1))),
            new(Schema.Tags.Runtime, Allocators.Name(key.Allocator)),
        ]
        :
        [
            new(Schema.Tags.Comm, comm),
            new(Schema.Tags.Pid, key.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(Schema.Tags.Runtime, Allocators.Name(key.Allocator)),
        ];

    private static KeyValuePair<string, string>[] AllocationTags(in SeriesKey key, string comm) =>
        [
        new(Schema.Tags.Allocator, Allocators.Name(key.Allocator)),
        new(Schema.Tags.Comm, comm),
        new(Schema.Tags.Op, AllocOps.Name(key.Op)),
        new(Schema.Tags.Pid, key.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new(Schema.Tags.SizeClass, SizeClass.Label(key.SizeClass)),
    ];
}
