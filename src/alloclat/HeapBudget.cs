namespace Alloclat.Cli;

/// <summary>
/// Keeps the collector's memory to what it holds. The runtime sizes its young generation from the L3 cache (a 260
/// MiB L3 gives a budget of about 130 MiB, and the runtime reads no configuration file setting for it), so a process
/// whose live heap is a few MiB would grow by that much before its first collection. Every
/// <see cref="Interval"/> this looks at what was allocated since the last collection and, past
/// <see cref="Budget"/>, collects the young generation (a millisecond or so: what survives is small), so the same
/// few regions are reused. What survives long enough to be promoted is collected, compacted, every
/// <see cref="FullInterval"/> when the runtime did not do it itself: the old generation of a collector that follows
/// short-lived processes is mostly their exited series, and would otherwise wait for the runtime's own full
/// collection, holding regions it no longer needs (a few milliseconds for a heap of a few MiB).
/// </summary>
internal sealed class HeapBudget : IDisposable
{
    public static readonly long Budget = 4L << 20;
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan FullInterval = TimeSpan.FromSeconds(30);

    private readonly Timer _timer;
    private long _allocatedAtCollection;
    private int _collectionsSeen;
    private int _fullCollectionsSeen;
    private long _fullDue;
    private int _gen1AtFull;

    public HeapBudget()
    {
        _allocatedAtCollection = GC.GetTotalAllocatedBytes();
        _collectionsSeen = GC.CollectionCount(0);
        _fullCollectionsSeen = GC.CollectionCount(2);
        _fullDue = Environment.TickCount64 + (long)FullInterval.TotalMilliseconds;
        _timer = new Timer(_ => Check(), null, Interval, Interval);
    }

    private void Check()
    {
        long now = Environment.TickCount64;
        int full = GC.CollectionCount(2);
        if (full != _fullCollectionsSeen)
        {
            // The runtime collected everything by itself since: the next one is due a full interval from now.
            _fullCollectionsSeen = full;
            _fullDue = now + (long)FullInterval.TotalMilliseconds;
        }
        else if (now >= _fullDue)
        {
            // Only when something was promoted to the old generation since: an idle collector costs nothing here.
            if (GC.CollectionCount(1) != _gen1AtFull)
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            _gen1AtFull = GC.CollectionCount(1);
            _fullCollectionsSeen = GC.CollectionCount(2);
            _fullDue = now + (long)FullInterval.TotalMilliseconds;
        }
        long allocated = GC.GetTotalAllocatedBytes();
        int collections = GC.CollectionCount(0);
        // The runtime collected by itself since: count from there.
        if (collections != _collectionsSeen)
        {
            _collectionsSeen = collections;
            _allocatedAtCollection = allocated;
            return;
        }
        if (allocated - _allocatedAtCollection < Budget)
            return;
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        _collectionsSeen = GC.CollectionCount(0);
        _allocatedAtCollection = GC.GetTotalAllocatedBytes();
    }

    public void Dispose() => _timer.Dispose();
}
