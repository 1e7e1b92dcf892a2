using Tracer.Native;

namespace Tracer.Probes;

/// <summary>Which tracepoint programs run in which mode, and attaching them.</summary>
internal static class TracepointAttacher
{
    private static readonly string[] s_syscallPrograms =
    [
        BpfPrograms.TpEnterMmap, BpfPrograms.TpExitMmap, BpfPrograms.TpEnterMunmap, BpfPrograms.TpExitMunmap,
        BpfPrograms.TpEnterMremap, BpfPrograms.TpExitMremap, BpfPrograms.TpEnterBrk, BpfPrograms.TpExitBrk,
        BpfPrograms.TpEnterMprotect, BpfPrograms.TpExitMprotect, BpfPrograms.TpEnterMadvise, BpfPrograms.TpExitMadvise,
    ];

    // Only tracepoints that fire while the kernel does the slow work itself; faults, context switches and on-CPU
    // time come from the thread's own counters, read by the call's entry and return programs.
    private static readonly (string Cause, string[] Programs)[] s_causePrograms =
    [
        ("direct reclaim", [BpfPrograms.TpReclaimBegin, BpfPrograms.TpReclaimEnd]),
        ("memcg reclaim", [BpfPrograms.TpMemcgReclaimBegin, BpfPrograms.TpMemcgReclaimEnd]),
        ("compaction", [BpfPrograms.TpCompactionBegin, BpfPrograms.TpCompactionEnd]),
    ];

    private static readonly (string Cause, string[] Programs) s_mmapLockPrograms = ("mmap_lock", [BpfPrograms.TpLockWait, BpfPrograms.TpLockTaken]);

    /// <summary>
    /// The syscall tracepoints and the lifecycle ones but exec (which <see cref="ExecGate"/> attaches once the guard
    /// holds the maps): exit in every mode, since what is kept for a process is released when it ends; fork only when
    /// targets are filtered, to add their children.
    /// </summary>
    public static void AttachSyscallsAndLifecycle(BpfObject obj, bool filterPids)
    {
        foreach (var p in s_syscallPrograms)
            obj.Attach(p);
        obj.Attach(BpfPrograms.TpExit);
        if (filterPids)
            obj.Attach(BpfPrograms.TpFork);
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
