using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// Puts into a snapshot, just before it is written, the points its sinks dropped since the previous one
/// (<c>alloclat_stats.sink_dropped</c>): each sink reports its own count, read on the thread that writes.
/// </summary>
public static class SinkDrops
{
    public static IntervalSnapshot Into(IntervalSnapshot snapshot, IReadOnlyList<ISnapshotSink> sinks)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(sinks);
        long dropped = 0;
        foreach (var sink in sinks)
            dropped += sink.TakeDropped();
        return dropped == snapshot.Stats.SinkDropped ? snapshot : snapshot with { Stats = snapshot.Stats with { SinkDropped = dropped } };
    }
}
