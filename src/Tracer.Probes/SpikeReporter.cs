using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Tracer.Core;
using Tracer.Native;
using Tracer.Native.Interop;

namespace Tracer.Probes;

/// <summary>
/// Turns <c>spike_event</c> samples into <see cref="SlowCall"/>s: the slow call, where its time went in the
/// kernel, and the caller's stack, symbolised. At most <see cref="MaxPerInterval"/> per interval are kept (the
/// first ones); the rest are counted in <see cref="Suppressed"/>.
/// </summary>
internal sealed class SpikeReporter : IPerfSampleHandler
{
    public const int MaxPerInterval = 100;
    private const int MaxFrames = 127;

    /// <summary>One entry of the <c>stacks</c> map: the frames of a user stack, innermost first.</summary>
    [InlineArray(MaxFrames)]
    private struct StackFrames
    {
        private StackBuildIdFrame _frame;
    }

    private readonly BpfMap _stacks;
    private readonly StackSymbolizer _symbolizer = new();
    private readonly long _clockOffsetNs = MonotonicClock.MeasureOffsetNs();
    private List<SlowCall> _pending = new();
    private List<int> _exitedThisInterval = new();
    private List<int> _exitedLastInterval = new();

    private readonly bool _mmapLockMeasured;

    public SpikeReporter(BpfMap stacks, bool mmapLockMeasured)
    {
        _stacks = stacks;
        _mmapLockMeasured = mmapLockMeasured;
    }

    public long Suppressed { get; private set; }

    /// <summary>
    /// Forgets an exited process's memory map, one interval after its exit was read: its last samples, written to
    /// the stack buffer before the exit event reached the event buffer, may still be unread when the exit is seen.
    /// </summary>
    public void ProcessExited(int pid) => _exitedThisInterval.Add(pid);

    /// <summary>
    /// Reads the memory map of a process held at exec or fork, while it is stopped: a process that lives for
    /// milliseconds may be gone when its samples are read.
    /// </summary>
    public void ProcessHeld(int pid) => _symbolizer.Remember(pid);

    public IReadOnlyList<SlowCall> Take()
    {
        foreach (int pid in _exitedLastInterval)
            _symbolizer.Forget(pid);
        _exitedLastInterval.Clear();
        (_exitedLastInterval, _exitedThisInterval) = (_exitedThisInterval, _exitedLastInterval);
        if (_pending.Count == 0)
            return [];
        var taken = _pending;
        _pending = new();
        return taken;
    }

    public void OnSample(int cpu, ReadOnlySpan<byte> data)
    {
        if (!MemoryMarshal.TryRead(data, out SpikeEvent ev))
            return;
        if (_pending.Count >= MaxPerInterval)
        {
            Suppressed++;
            return;
        }
        string stack = "";
        if (ev.UserStackId >= 0 && _stacks.TryLookup<uint, StackFrames>((uint)ev.UserStackId, out var trace))
        {
            var frames = _symbolizer.Symbolize((int)ev.Pid, trace);
            // Folded, outermost first, as flame graph tools read it.
            stack = string.Join(';', frames.Reverse());
        }
        var comm = data.Slice(SpikeEvent.CommOffset, AllocEvent.CommLength);
        int nul = comm.IndexOf((byte)0);
        _pending.Add(new SlowCall((long)ev.TimestampNs + _clockOffsetNs, (int)ev.Pid, (int)ev.Tid,
            Encoding.UTF8.GetString(nul < 0 ? comm : comm[..nul]), ev.Allocator, (AllocOp)ev.Op, ev.Size, Breakdown(ev), stack)
        {
            DelayAccounting = DelayAccounting.IsOn(),
            MmapLockMeasured = _mmapLockMeasured,
            RunQueueKnown = (ev.Flags & SpikeEvent.FlagNoRunQueue) == 0,
        });
    }

    /// <summary>The causes of one sample. Reclaim and compaction are the tracepoints' figures, or delay accounting's when larger.</summary>
    internal static SpikeBreakdown Breakdown(SpikeEvent ev)
    {
        long Cause(SpikeCause c) => (long)ev.Cause(c);
        return new SpikeBreakdown
        {
            Latency = (long)ev.LatencyNs,
            Reclaim = Math.Max(Cause(SpikeCause.Reclaim), Cause(SpikeCause.DelayReclaim)),
            Compaction = Math.Max(Cause(SpikeCause.Compaction), Cause(SpikeCause.DelayCompaction)),
            MmapLock = Cause(SpikeCause.MmapLock),
            OnCpu = Cause(SpikeCause.OnCpu),
            RunQueue = Cause(SpikeCause.RunQueue),
            SwapIn = Cause(SpikeCause.SwapIn),
            Thrashing = Cause(SpikeCause.Thrashing),
            BlockIo = Cause(SpikeCause.BlockIo),
            MinorFaults = ev.MinorFaults,
            MajorFaults = ev.MajorFaults,
            VoluntarySwitches = ev.VoluntarySwitches,
            InvoluntarySwitches = ev.InvoluntarySwitches,
            Syscall = ev.Allocator == Allocators.Kernel,
            Moved = (ev.Flags & SpikeEvent.FlagMoved) != 0,
        };
    }

    public void OnLost(int cpu, ulong count) => Suppressed += (long)count;
}
