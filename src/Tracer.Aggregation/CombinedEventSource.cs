using Tracer.Core;

namespace Tracer.Aggregation;

/// <summary>
/// Several sources behind one: the first (the kernel's perf buffers) is waited on, the others are drained
/// without waiting after it, all on the polling thread, so every source records into the one series table
/// without a lock. Counters, slow calls and event points are those of all sources together.
/// </summary>
public sealed class CombinedEventSource : IEventSource
{
    private readonly IEventSource[] _sources;

    public CombinedEventSource(params IEventSource[] sources)
    {
        if (sources.Length == 0)
            throw new ArgumentException("at least one source is needed", nameof(sources));
        _sources = sources;
    }

    public void Poll(int timeoutMs, IAllocationRecorder recorder)
    {
        _sources[0].Poll(timeoutMs, recorder);
        for (int i = 1; i < _sources.Length; i++)
            _sources[i].Poll(0, recorder);
    }

    public void EndInterval(IAllocationRecorder recorder, bool final)
    {
        foreach (var s in _sources)
            s.EndInterval(recorder, final);
    }

    public SourceCounters ReadCounters()
    {
        long events = 0, lost = 0, dropped = 0, targetsFull = 0;
        ProbeCost? probeCost = null;
        foreach (var s in _sources)
        {
            var c = s.ReadCounters();
            probeCost ??= c.ProbeCost;
            events += c.Events;
            lost += c.Lost;
            dropped += c.InflightDropped;
            targetsFull += c.TargetsFull;
        }
        return new SourceCounters(events, lost, dropped, targetsFull, probeCost);
    }

    public IReadOnlyList<SlowCall> TakeSlowCalls()
    {
        List<SlowCall>? all = null;
        foreach (var s in _sources)
        {
            var c = s.TakeSlowCalls();
            if (c.Count > 0)
                (all ??= new()).AddRange(c);
        }
        return all ?? (IReadOnlyList<SlowCall>)[];
    }

    public IReadOnlyList<EventPoint> TakeEvents()
    {
        List<EventPoint>? all = null;
        foreach (var s in _sources)
        {
            var e = s.TakeEvents();
            if (e.Count > 0)
                (all ??= new()).AddRange(e);
        }
        return all ?? (IReadOnlyList<EventPoint>)[];
    }

    /// <summary>The sources are owned by whoever created them.</summary>
    public void Dispose()
    {
    }
}
