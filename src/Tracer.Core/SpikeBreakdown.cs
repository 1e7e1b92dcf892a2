namespace Tracer.Core;

/// <summary>
/// Where the time of one slow call went, from the calling thread's own counters (read at entry and return) and the
/// reclaim, compaction and (on request) mmap_lock tracepoints. All times in nanoseconds.
/// </summary>
public sealed record SpikeBreakdown
{
    public long Latency { get; init; }

    /// <summary>Direct or memcg reclaim (tracepoints; delay accounting's figure when it is larger).</summary>
    public long Reclaim { get; init; }

    public long Compaction { get; init; }

    /// <summary>Waiting for mmap_lock; measured only with <c>--cause-mmap-lock</c>.</summary>
    public long MmapLock { get; init; }

    public long OnCpu { get; init; }

    /// <summary>Runnable but waiting for a CPU (preempted, or woken and not yet run).</summary>
    public long RunQueue { get; init; }

    /// <summary>Delay accounting only (kernel.task_delayacct=1): waiting for swap-in, refaults of thrashing pages, block I/O.</summary>
    public long SwapIn { get; init; }

    public long Thrashing { get; init; }

    public long BlockIo { get; init; }

    public long MinorFaults { get; init; }

    public long MajorFaults { get; init; }

    public long VoluntarySwitches { get; init; }

    public long InvoluntarySwitches { get; init; }

    /// <summary>The call is a system call (its faults are the kernel populating pages), not a library function.</summary>
    public bool Syscall { get; init; }

    /// <summary>The call returned on another thread than it entered on: only the tracepoint causes are known.</summary>
    public bool Moved { get; init; }

    public long Faults => MinorFaults + MajorFaults;

    /// <summary>Wall time not spent on the CPU: blocked or waiting for one.</summary>
    public long OffCpu => Math.Max(0, Latency - OnCpu);

    /// <summary>Off-CPU time not explained by a run-queue wait or a named wait: sleeping on a lock, a futex, a timer.</summary>
    public long Blocked => Math.Max(0, OffCpu - RunQueue - SwapIn - Thrashing - BlockIo - MmapLock);

    /// <summary>
    /// The largest share of the call, as the <c>cause</c> tag: <c>reclaim</c>, <c>compaction</c>, <c>mmap_lock</c>,
    /// <c>swapin</c>, <c>thrashing</c>, <c>io</c>, <c>preempted</c> (waiting for a CPU), <c>off_cpu</c> (blocked
    /// otherwise), or the on-CPU time left after reclaim and compaction: <c>page_population</c> when a system call
    /// took faults (the kernel filling the mapping), <c>page_faults</c> when a library call did, <c>on_cpu</c>
    /// without faults. Reclaim and compaction can sleep, so shares may overlap. <c>unknown</c> when the call moved
    /// threads and no tracepoint cause was seen.
    /// </summary>
    public string Cause
    {
        get
        {
            if (Moved)
            {
                var traced = new[] { ("reclaim", Reclaim), ("compaction", Compaction), ("mmap_lock", MmapLock) }.MaxBy(c => c.Item2);
                return traced.Item2 > 0 ? traced.Item1 : "unknown";
            }
            long onCpuRest = Math.Max(0, OnCpu - Reclaim - Compaction);
            string onCpuName = Faults == 0 ? "on_cpu" : Syscall ? "page_population" : "page_faults";
            return new[]
            {
                (onCpuName, onCpuRest), ("reclaim", Reclaim), ("compaction", Compaction), ("mmap_lock", MmapLock),
                ("swapin", SwapIn), ("thrashing", Thrashing), ("io", BlockIo), ("preempted", RunQueue), ("off_cpu", Blocked),
            }.MaxBy(c => c.Item2).Item1;
        }
    }
}
