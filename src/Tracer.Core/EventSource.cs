namespace Tracer.Core;

/// <summary>
/// Receives decoded events on the polling thread. The hot path: implementations look up the series and record a
/// value, nothing else (no strings, no LINQ, no locks).
/// </summary>
public interface IAllocationRecorder
{
    /// <param name="key">the series</param>
    /// <param name="size">requested bytes</param>
    /// <param name="latencyNs">entry to return, nanoseconds</param>
    /// <param name="comm">the process name as the kernel gives it (bytes up to 16, maybe NUL padded)</param>
    void Record(in SeriesKey key, ulong size, long latencyNs, ReadOnlySpan<byte> comm);

    /// <summary>The process has exited: what is kept for it can go once its last interval is reported.</summary>
    void ProcessExited(int pid)
    {
    }

    /// <summary>
    /// Calls counted by the kernel instead of sent one by one: <paramref name="count"/> calls of the series whose
    /// latencies all lie in the histogram bucket of <paramref name="latencyNs"/> (its lowest value), requesting
    /// <paramref name="size"/> bytes together.
    /// </summary>
    void RecordMany(in SeriesKey key, ulong size, long latencyNs, long count, ReadOnlySpan<byte> comm)
    {
        for (long i = 0; i < count; i++)
            Record(key, i == 0 ? size : 0, latencyNs, comm);
    }

    /// <summary>A call of one thread, for series split by thread (<see cref="SeriesKey.Tid"/> set).</summary>
    /// <param name="thread">the thread's own name (bytes up to 16, maybe NUL padded)</param>
    void Record(in SeriesKey key, ulong size, long latencyNs, ReadOnlySpan<byte> comm, ReadOnlySpan<byte> thread) =>
        Record(key, size, latencyNs, comm);
}

/// <summary>Counters a source reports per interval (cumulative since start; the collector takes differences).</summary>
/// <param name="TargetsFull">processes or threads of targets not followed because the kernel's target table was full</param>
/// <param name="ProbeCost">not a counter: the probes' calibrated cost, when the source calibrated it</param>
public readonly record struct SourceCounters(long Events, long Lost, long InflightDropped, long TargetsFull = 0, ProbeCost? ProbeCost = null);

/// <summary>A producer of allocation events: the BPF probes, or a test's synthetic feed.</summary>
public interface IEventSource : IDisposable
{
    /// <summary>Waits up to <paramref name="timeoutMs"/> and hands every available event to the recorder.</summary>
    void Poll(int timeoutMs, IAllocationRecorder recorder);

    /// <summary>
    /// Called once at the end of each interval, before its counters and snapshot are taken: hands the recorder
    /// what the source aggregated itself over the interval (the kernel's histograms).
    /// </summary>
    void EndInterval(IAllocationRecorder recorder, bool final)
    {
    }

    SourceCounters ReadCounters();

    /// <summary>Calls over the spike threshold seen since the last call, for the interval being closed.</summary>
    IReadOnlyList<SlowCall> TakeSlowCalls() => [];

    /// <summary>Other points seen since the last call (a runtime's allocation samples), for the interval being closed.</summary>
    IReadOnlyList<EventPoint> TakeEvents() => [];
}
