using Tracer.Core;
using Tracer.Native;

namespace Tracer.Probes;

/// <summary>How the probes are configured before load.</summary>
public sealed record ProbeOptions
{
    /// <summary>Calls requesting fewer bytes are dropped inside BPF.</summary>
    public ulong MinSize { get; init; } = 32 * 1024;

    /// <summary>Trace only processes added with <see cref="BpfAllocationSource.AddTarget"/> (and their children).</summary>
    public bool FilterPids { get; init; } = true;

    public bool FollowForks { get; init; } = true;

    /// <summary>Follow every process that executes this file (inode and kernel device).</summary>
    public (ulong Inode, ulong Device)? Binary { get; init; }

    /// <summary>Kernel BTF for CO-RE when the kernel does not expose its own.</summary>
    public string? BtfPath { get; init; }

    /// <summary>
    /// Stop targets at exec and raise <see cref="BpfAllocationSource.ExecStopped"/>, so uprobes can be placed on
    /// the new image before it runs (precise mode).
    /// </summary>
    public bool StopOnExec { get; init; }

    /// <summary>
    /// Stop a target's child forked without exec before its first instruction and raise
    /// <see cref="BpfAllocationSource.ForkStopped"/>, so it gets uprobes of its own (precise mode: uprobes are per
    /// process, and a child does not inherit its parent's).
    /// </summary>
    public bool StopOnFork { get; init; }

    /// <summary>
    /// The guard that continues stopped processes if the collector is killed (see <see cref="HoldGuard"/>); null
    /// runs without one.
    /// </summary>
    public string? GuardPath { get; init; }

    /// <summary>Calls at least this slow are reported as alloc_spike with stack and kernel cause; 0 turns it off.</summary>
    public ulong SpikeThresholdNs { get; init; }

    /// <summary>
    /// Also measure waits for mmap_lock in slow calls. Its tracepoints fire on every mmap_lock acquisition of every
    /// process on the host (each run costs the tracepoint's dispatch and a hash lookup), so this is off by default.
    /// </summary>
    public bool CauseMmapLock { get; init; }

    /// <summary>
    /// Entries of the kernel's target table (<c>targets</c>): the traced processes and, while they start, their
    /// threads. A fork or exec that finds it full is not followed and is counted (<c>alloclat_stats.targets_full</c>).
    /// </summary>
    public uint MaxTargets { get; init; } = 16384;

    /// <summary>Perf-buffer pages per CPU (a power of two).</summary>
    public int PerfPagesPerCpu { get; init; } = 64;

    /// <summary>Split series by thread (<see cref="SeriesKey.Tid"/>, tag <c>thread</c>); by process otherwise.</summary>
    public bool PerThread { get; init; }

    /// <summary>
    /// Count completed calls (the syscalls and the malloc family) into latency histograms in the kernel (per series
    /// and CPU, read at the end of each interval) instead of sending one event per call. Go's calls and pauses, and
    /// every call when series are split by thread, stay events.
    /// </summary>
    public bool KernelHistograms { get; init; }

    /// <summary>With <see cref="KernelHistograms"/>, also send every call as an event, so the two can be compared.</summary>
    public bool KernelHistogramsAndEvents { get; init; }
}
