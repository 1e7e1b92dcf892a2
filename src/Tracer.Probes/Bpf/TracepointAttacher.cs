using Tracer.Native;

namespace Tracer.Probes;

/// <summary>Which tracepoint programs run in which mode, and attaching them.</summary>
internal static class TracepointAttacher
{
    private static readonly string[] s_syscallPrograms =
    [
        "tp_enter_mmap", "tp_exit_mmap", "tp_enter_munmap", "tp_exit_munmap",
        "tp_enter_mremap", "tp_exit_mremap", "tp_enter_brk", "tp_exit_brk",
        "tp_enter_mprotect", "tp_exit_mprotect", "tp_enter_madvise", "tp_exit_madvise",
    ];

    // Only tracepoints that fire while the kernel does the slow work itself; faults, context switches and on-CPU
    // time come from the thread's own counters, read by the call's entry and return programs.
    private static readonly (string Cause, string[] Programs)[] s_causePrograms =
    [
        ("direct reclaim", ["tp_reclaim_begin", "tp_reclaim_end"]),
        ("memcg reclaim", ["tp_memcg_reclaim_begin", "tp_memcg_reclaim_end"]),
        ("compaction", ["tp_compaction_begin", "tp_compaction_end"]),
    ];

    private static readonly (string Cause, string[] Programs) s_mmapLockPrograms = ("mmap_lock", ["tp_lock_wait", "tp_lock_taken"]);

    public const string ExecProgram = "tp_exec";

    /// <summary>
    /// The syscall tracepoints and the lifecycle ones but exec (which <see cref="ExecGate"/> attaches once the guard
    /// holds the maps): exit in every mode, since what is kept for a process is released when it ends; fork only when
    /// targets are filtered, to add their children.
    /// </summary>
    public static void AttachSyscallsAndLifecycle(BpfObject obj, bool filterPids)
    {
        foreach (var p in s_syscallPrograms)
            obj.Attach(p);
        obj.Attach("tp_exit");
        if (filterPids)
            obj.Attach("tp_fork");
    }

    /// <summary>Attaches the tracepoints of each cause; returns the causes this kernel has no tracepoint for.</summary>
    public static IReadOnlyList<string> AttachCauses(BpfObject obj, bool mmapLock)
    {
        var missing = new List<string>();
        foreach (var (cause, programs) in mmapLock ? [.. s_causePrograms, s_mmapLockPrograms] : s_causePrograms)
        {
            try
            {
                foreach (var p in programs)
                    obj.Attach(p);
            }
            catch (LibbpfException)
            {
                missing.Add(cause);
            }
        }
        return missing;
    }
}
