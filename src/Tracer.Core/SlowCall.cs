namespace Tracer.Core;

/// <summary>
/// One call slower than the spike threshold, as a source saw it: who made it, what it was, where its time went
/// and the caller's stack. Aggregation writes it as an <c>alloc_spike</c> point.
/// </summary>
/// <param name="TimestampUnixNs">when the call returned</param>
/// <param name="Pid">the calling process (thread-group id)</param>
/// <param name="Tid">the thread that returned from the call</param>
/// <param name="Comm">the process's name</param>
/// <param name="Allocator">allocator id (<see cref="Allocators"/>)</param>
/// <param name="Op">the function or syscall</param>
/// <param name="Size">requested bytes</param>
/// <param name="Breakdown">where the call's time went</param>
/// <param name="Stack">the caller's user stack, folded outermost first; empty when not walked</param>
public sealed record SlowCall(
    long TimestampUnixNs,
    int Pid,
    int Tid,
    string Comm,
    byte Allocator,
    AllocOp Op,
    ulong Size,
    SpikeBreakdown Breakdown,
    string Stack)
{
    /// <summary>Whether delay accounting was on, so its waits (swap-in, thrashing, block I/O) were measured.</summary>
    public bool DelayAccounting { get; init; }

    /// <summary>Whether the mmap_lock wait was measured (<c>--cause-mmap-lock</c>).</summary>
    public bool MmapLockMeasured { get; init; }

    /// <summary>Whether the kernel keeps a per-thread run-queue wait, so the run-queue share is known.</summary>
    public bool RunQueueKnown { get; init; } = true;
}
