using System.Runtime.InteropServices;

namespace Tracer.Native.Interop;

/// <summary>
/// Mirror of <c>struct alloc_event</c> in bpf/alloclat.h. tests/Tracer.Native.Tests compiles that header and
/// compares every offset and the size with this type.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct AllocEvent
{
    public const int CommLength = 16;

    public ulong TimestampNs;
    public ulong LatencyNs;
    public ulong Size;
    public ulong Address;
    public uint Pid;
    public uint Tid;
    public byte Op;
    public byte Allocator;
    public ushort Flags;
    public uint Reserved;
    public fixed byte Comm[CommLength];
    public fixed byte ThreadComm[CommLength];

    public const int CommOffset = 48;
    public const int ThreadCommOffset = 64;
}

/// <summary>Mirror of <c>struct alloclat_config</c>, the object's <c>.rodata</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct AllocConfig
{
    public ulong MinSize;
    public ulong TargetInode;
    public ulong TargetDevice;
    public uint FilterPids;
    public uint FollowForks;
    public uint StopOnExec;
    public uint StopOnFork;
    public ulong SpikeThresholdNs;
}

/// <summary>Mirror of <c>struct spike_event</c>: a call slower than the spike threshold, with its causes.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct SpikeEvent
{
    public const int CauseCount = 10;

    /// <summary><c>SPIKE_MOVED</c>: the call returned on another thread than it entered on; counters unknown.</summary>
    public const ushort FlagMoved = 1;

    /// <summary><c>SPIKE_NO_RUNQUEUE</c>: the kernel keeps no run-queue wait per thread.</summary>
    public const ushort FlagNoRunQueue = 2;

    public ulong TimestampNs;
    public ulong LatencyNs;
    public ulong Size;
    public fixed ulong CauseNs[CauseCount];
    public long UserStackId;
    public uint Pid;
    public uint Tid;
    public uint MinorFaults;
    public uint MajorFaults;
    public uint VoluntarySwitches;
    public uint InvoluntarySwitches;
    public byte Op;
    public byte Allocator;
    public ushort Flags;
    public uint Pad;
    public fixed byte Comm[AllocEvent.CommLength];

    public const int CommOffset = 144;

    /// <summary>One entry of <see cref="CauseNs"/>.</summary>
    public readonly ulong Cause(SpikeCause cause) => CauseNs[(int)cause];
}

/// <summary>Indices of <see cref="SpikeEvent.CauseNs"/> (<c>enum spike_cause</c>).</summary>
public enum SpikeCause
{
    Reclaim = 0,
    Compaction = 1,
    MmapLock = 2,
    OnCpu = 3,
    RunQueue = 4,
    DelayReclaim = 5,
    DelayCompaction = 6,
    SwapIn = 7,
    Thrashing = 8,
    BlockIo = 9,
}

/// <summary>Indices of the per-CPU counters in the <c>stats</c> map (<c>enum alloclat_stat</c>).</summary>
public enum BpfStat : uint
{
    InflightDropped = 0,
    LiveDropped = 1,
    TargetsFull = 2,
    HistFull = 3,
}
