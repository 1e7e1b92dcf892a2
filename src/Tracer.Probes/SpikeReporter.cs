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

    public SpikeReporter(BpfMap stacks) => _stacks = stacks;

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
        long reclaim = (long)ev.CauseNs[(int)SpikeCause.Reclaim], compaction = (long)ev.CauseNs[(int)SpikeCause.Compaction];
        long mmapLock = (long)ev.CauseNs[(int)SpikeCause.MmapLock], offCpu = (long)ev.CauseNs[(int)SpikeCause.OffCpu];
        _pending.Add(new EventPoint("alloc_spike",
            [
                new("allocator", Allocators.Name(ev.Allocator)),
                new("comm", Encoding.UTF8.GetString(nul < 0 ? comm : comm[..nul])),
                new("op", AllocOps.Name(op)),
                new("pid", ev.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new("size_class", SizeClass.Label(SizeClass.Of(ev.Size))),
            ],
            [
                new("latency", (long)ev.LatencyNs),
                new("size", (long)ev.Size),
                new("cause", SpikeCauses.Dominant((long)ev.LatencyNs, reclaim, compaction, mmapLock, offCpu, ev.Faults)),
                new("reclaim_ns", reclaim),
                new("compaction_ns", compaction),
                new("mmap_lock_ns", mmapLock),
                new("off_cpu_ns", offCpu),
                new("faults", (long)ev.Faults),
                new("tid", (long)ev.Tid),
                new("stack", stack),
            ])
        {
            TimestampUnixNs = (long)ev.TimestampNs + _clockOffsetNs,
        });
    }

    public void OnLost(int cpu, ulong count) => Suppressed += (long)count;
}

/// <summary>Names the kernel cause of a slow call from where its time went.</summary>
public static class SpikeCauses
{
    /// <summary>
    /// The largest share of the call: time in reclaim, compaction, waiting for mmap_lock or off the CPU, or what
    /// remains, spent on the CPU in the call itself (named page_faults when the call took page faults).
    /// Reclaim can sleep, so the shares may overlap; the remainder is never negative.
    /// </summary>
    public static string Dominant(long latency, long reclaim, long compaction, long mmapLock, long offCpu, uint faults)
    {
        long onCpu = Math.Max(0, latency - reclaim - compaction - mmapLock - offCpu);
        return new[]
        {
            (faults > 0 ? "page_faults" : "on_cpu", onCpu), ("direct_reclaim", reclaim), ("compaction", compaction),
            ("mmap_lock", mmapLock), ("off_cpu", offCpu),
        }.MaxBy(c => c.Item2).Item1;
    }
}
