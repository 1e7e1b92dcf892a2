using System.Runtime.InteropServices;
using System.Text;
using Tracer.Core;
using Tracer.Native;
using Tracer.Native.Interop;

namespace Tracer.Probes;

/// <summary>
/// Turns <c>spike_event</c> samples into <c>alloc_spike</c> points: the slow call, where its time went in the
/// kernel, and the caller's stack, symbolised. At most <see cref="MaxPerInterval"/> per interval are kept (the
/// first ones); the rest are counted in <see cref="Suppressed"/>.
/// </summary>
internal sealed class SpikeReporter : IPerfSampleHandler
{
    public const int MaxPerInterval = 100;
    private const int MaxFrames = 127;

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct StackTrace
    {
        public fixed ulong Ips[MaxFrames];
    }

    private readonly BpfMap _stacks;
    private readonly StackSymbolizer _symbolizer = new();
    private readonly long _clockOffsetNs = MonotonicClock.MeasureOffsetNs();
    private List<EventPoint> _pending = new();

    private readonly bool _mmapLockMeasured;

    public SpikeReporter(BpfMap stacks, bool mmapLockMeasured)
    {
        _stacks = stacks;
        _mmapLockMeasured = mmapLockMeasured;
    }

    public long Suppressed { get; private set; }

    public IReadOnlyList<EventPoint> Take()
    {
        if (_pending.Count == 0)
            return [];
        var taken = _pending;
        _pending = new();
        return taken;
    }

    public unsafe void OnSample(int cpu, ReadOnlySpan<byte> data)
    {
        if (!MemoryMarshal.TryRead(data, out SpikeEvent ev))
            return;
        if (_pending.Count >= MaxPerInterval)
        {
            Suppressed++;
            return;
        }
        string stack = "";
        if (ev.UserStackId >= 0 && _stacks.TryLookup<uint, StackTrace>((uint)ev.UserStackId, out var trace))
        {
            var frames = _symbolizer.Symbolize((int)ev.Pid, new ReadOnlySpan<ulong>(trace.Ips, MaxFrames));
            // Folded, outermost first, as flame graph tools read it.
            stack = string.Join(';', frames.Reverse());
        }
        var comm = data.Slice(SpikeEvent.CommOffset, AllocEvent.CommLength);
        int nul = comm.IndexOf((byte)0);
        var op = (AllocOp)ev.Op;
        var b = Breakdown(ev);
        bool delayAccounting = DelayAccounting.IsOn();
        var fields = new List<KeyValuePair<string, FieldValue>>(24)
        {
            new(Schema.Fields.Latency, (long)ev.LatencyNs),
            new(Schema.Fields.Size, (long)ev.Size),
            new(Schema.Fields.ReclaimNs, b.Reclaim),
            new(Schema.Fields.CompactionNs, b.Compaction),
        };
        if (_mmapLockMeasured)
            fields.Add(new(Schema.Fields.MmapLockNs, b.MmapLock));
        if (!b.Moved)
        {
            fields.Add(new(Schema.Fields.OnCpuNs, b.OnCpu));
            fields.Add(new(Schema.Fields.OffCpuNs, b.OffCpu));
            if ((ev.Flags & SpikeEvent.FlagNoRunQueue) == 0)
                fields.Add(new(Schema.Fields.RunqueueNs, b.RunQueue));
            fields.Add(new(Schema.Fields.BlockedNs, b.Blocked));
            if (delayAccounting)
            {
                fields.Add(new(Schema.Fields.SwapinNs, b.SwapIn));
                fields.Add(new(Schema.Fields.ThrashingNs, b.Thrashing));
                fields.Add(new(Schema.Fields.IoNs, b.BlockIo));
            }
            fields.Add(new(Schema.Fields.Faults, b.Faults));
            fields.Add(new(Schema.Fields.MajorFaults, b.MajorFaults));
            fields.Add(new(Schema.Fields.VoluntarySwitches, b.VoluntarySwitches));
            fields.Add(new(Schema.Fields.InvoluntarySwitches, b.InvoluntarySwitches));
        }
        fields.Add(new(Schema.Fields.DelayAccounting, delayAccounting));
        fields.Add(new(Schema.Fields.Moved, b.Moved));
        fields.Add(new(Schema.Fields.Tid, (long)ev.Tid));
        fields.Add(new(Schema.Fields.Stack, stack));
        _pending.Add(new EventPoint(Schema.Measurements.Spike,
            [
                new(Schema.Tags.Allocator, Allocators.Name(ev.Allocator)),
                new(Schema.Tags.Cause, b.Cause),
                new(Schema.Tags.Comm, Encoding.UTF8.GetString(nul < 0 ? comm : comm[..nul])),
                new(Schema.Tags.Op, AllocOps.Name(op)),
                new(Schema.Tags.Pid, ev.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new(Schema.Tags.SizeClass, SizeClass.Label(SizeClass.Of(ev.Size))),
            ],
            fields)
        {
            TimestampUnixNs = (long)ev.TimestampNs + _clockOffsetNs,
        });
    }

    /// <summary>The causes of one sample. Reclaim and compaction are the tracepoints' figures, or delay accounting's when larger.</summary>
    internal static unsafe SpikeBreakdown Breakdown(SpikeEvent ev)
    {
        var ns = new long[SpikeEvent.CauseCount];
        for (int i = 0; i < ns.Length; i++)
            ns[i] = (long)ev.CauseNs[i];
        long Cause(SpikeCause c) => ns[(int)c];
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
