using Tracer.Aggregation;

namespace Tracer.Fleet;

/// <summary>
/// Open windows of one stream of messages (one Kafka partition, or a set of files), merged per fleet series.
/// A host's interval belongs to the window that contains its end (windows end on multiples of the interval).
/// The watermark is the latest time known to have passed: the largest interval end seen, or the clock when the
/// stream is read to its end. A window closes once the watermark is <c>lateness</c> intervals past its end;
/// a message for a closed window is late and is not merged.
/// </summary>
public sealed class FleetWindows
{
    private readonly SortedDictionary<long, FleetWindow> _open = new();
    private readonly HistogramMerger _merger = new();
    private readonly long _intervalNs;
    private readonly long _latenessNs;

    /// <param name="watermarkUnixNs">where a previous reader of the same stream stopped (restart, rebalance)</param>
    public FleetWindows(TimeSpan interval, int latenessIntervals, long watermarkUnixNs = 0)
    {
        if (interval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(interval));
        ArgumentOutOfRangeException.ThrowIfNegative(latenessIntervals);
        _intervalNs = interval.Ticks * 100;
        _latenessNs = _intervalNs * latenessIntervals;
        WatermarkUnixNs = watermarkUnixNs;
    }

    /// <summary>Windows that never close by themselves (an offline merge reads everything, then takes all).</summary>
    public static FleetWindows Unbounded(TimeSpan interval) => new(interval, 0) { _unbounded = true };

    private bool _unbounded;

    public long WatermarkUnixNs { get; private set; }

    public int OpenCount => _open.Count;

    /// <summary>Smallest offset of a message in a window still open; null when none is.</summary>
    public long? FirstOpenOffset => _open.Count == 0 ? null : _open.Values.Min(w => w.FirstOffset);

    public long WindowEndOf(long endUnixNs) => (endUnixNs + _intervalNs - 1) / _intervalNs * _intervalNs;

    public bool IsClosed(long windowEndUnixNs) => !_unbounded && windowEndUnixNs + _latenessNs <= WatermarkUnixNs;

    /// <exception cref="FormatException">the message's histogram cannot be read</exception>
    public MergeOutcome Add(HistogramMessage message, long offset)
    {
        long end = WindowEndOf(message.EndUnixNs);
        if (IsClosed(end))
            return MergeOutcome.Late;
        if (!_open.TryGetValue(end, out var window))
        {
            window = new FleetWindow(end - _intervalNs, end);
            _open.Add(end, window);
        }
        bool added = window.SeriesFor(message, offset).Add(message, _merger);
        WatermarkUnixNs = Math.Max(WatermarkUnixNs, message.EndUnixNs);
        return added ? MergeOutcome.Merged : MergeOutcome.Duplicate;
    }

    /// <summary>Moves the watermark to <paramref name="unixNs"/> (the clock, once everything sent so far is read).</summary>
    public void AdvanceTo(long unixNs) => WatermarkUnixNs = Math.Max(WatermarkUnixNs, unixNs);

    /// <summary>Removes and returns the windows the watermark has closed, oldest first.</summary>
    public IReadOnlyList<FleetWindow> TakeClosed()
    {
        List<FleetWindow>? closed = null;
        foreach (var (end, window) in _open)
        {
            if (!IsClosed(end))
                break;
            (closed ??= []).Add(window);
        }
        if (closed is null)
            return [];
        foreach (var w in closed)
            _open.Remove(w.EndUnixNs);
        return closed;
    }

    /// <summary>Removes and returns every open window (the end of an offline merge).</summary>
    public IReadOnlyList<FleetWindow> TakeAll()
    {
        var all = _open.Values.ToList();
        _open.Clear();
        return all;
    }
}
