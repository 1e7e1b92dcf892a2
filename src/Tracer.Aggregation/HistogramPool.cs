using HdrHistogram;

namespace Tracer.Aggregation;

/// <summary>
/// Dense histograms of busy series that went idle, kept for the next series that needs one (most series never do:
/// <see cref="IntervalCounts"/>). A histogram is about 220 KB; taking them from here means memory follows the busy
/// series alive at once (at their peak), not every series there ever was, and no garbage is left for a full collection.
/// Owned by the polling thread, like the tables that use it.
/// </summary>
public sealed class HistogramPool
{
    private readonly Stack<LongHistogram> _free = new();

    /// <param name="capacity">histograms kept at most; beyond that a returned one is left to the collector</param>
    public HistogramPool(int capacity = 128)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Histograms waiting to be reused.</summary>
    public int Count => _free.Count;

    /// <summary>Histograms created because none was free: the peak of series alive at once, not their total.</summary>
    public long Created { get; private set; }

    /// <summary>An empty histogram of the standard shape.</summary>
    public LongHistogram Rent()
    {
        if (_free.TryPop(out var h))
            return h;
        Created++;
        return LatencyHistograms.Create();
    }

    /// <summary>Gives a histogram back; it is reset here, so it must not be used afterwards.</summary>
    public void Return(LongHistogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        if (_free.Count >= Capacity)
            return;
        histogram.Reset();
        _free.Push(histogram);
    }
}
