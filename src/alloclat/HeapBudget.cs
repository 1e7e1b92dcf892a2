namespace Alloclat.Cli;

/// <summary>
/// Keeps the collector's memory to what it holds. The runtime sizes its young generation from the L3 cache (a 260
/// MiB L3 gives a budget of about 130 MiB, and the runtime reads no configuration file setting for it), so a process
/// whose live heap is a few MiB would grow by that much before its first collection. Every
/// <see cref="Interval"/> this looks at what was allocated since the last collection and, past
/// <see cref="Budget"/>, collects the young generation (a millisecond or so: what survives is small), so the same
/// few regions are reused.
/// </summary>
internal sealed class HeapBudget : IDisposable
{
    public static readonly long Budget = 16L << 20;
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly Timer _timer;
    private long _allocatedAtCollection;
    private int _collectionsSeen;

    public HeapBudget()
    {
        _allocatedAtCollection = GC.GetTotalAllocatedBytes();
        _collectionsSeen = GC.CollectionCount(0);
        _timer = new Timer(_ => Check(), null, Interval, Interval);
    }

    private void Check()
    {
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
