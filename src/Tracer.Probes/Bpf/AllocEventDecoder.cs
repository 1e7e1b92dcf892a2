using System.Runtime.InteropServices;
using Tracer.Core;
using Tracer.Native;
using Tracer.Native.Interop;

namespace Tracer.Probes;

/// <summary>
/// Decodes the samples of the <c>events</c> perf buffer in place (<c>struct alloc_event</c>) into recorder calls:
/// no allocation per event. Runs on the polling thread.
/// </summary>
internal sealed class AllocEventDecoder : IPerfSampleHandler
{
    private readonly bool _perThread;
    private long _events;
    private long _lost;

    public AllocEventDecoder(bool perThread) => _perThread = perThread;

    /// <summary>
    /// The probes' calibrated cost, subtracted here, the one place latencies are recorded, from every latency the
    /// malloc-family probes measure (unless it says not to); null until calibrated.
    /// </summary>
    public LatencyCorrection? Correction { get; set; }

    /// <summary>
    /// Where the calls of the collector's own calibration functions go (<see cref="Allocators.Calibration"/>, never a
    /// target's series nor counted): the CPU the call returned on, which of the two functions, its raw latency.
    /// </summary>
    public Action<int, AllocOp, long>? CalibrationCall { get; set; }

    /// <summary>Where decoded calls go; set by each poll.</summary>
    public IAllocationRecorder? Recorder { get; set; }

    public long Events => Interlocked.Read(ref _events);

    /// <summary>Samples the kernel could not write (the buffer was full).</summary>
    public long Lost => Interlocked.Read(ref _lost);

    public void OnSample(int cpu, ReadOnlySpan<byte> data)
    {
        // The kernel writes whole structs (their layout is checked against the header by the tests).
        if (!MemoryMarshal.TryRead(data, out AllocEvent ev))
            return;
        // Only a wake-up: each poll continues every process in the held map.
        if (ev.Op == (byte)AllocOp.ExecStopped)
            return;
        // Sent on the CPU the call returned on (BPF_F_CURRENT_CPU): the buffer's CPU is the call's.
        if (ev.Allocator == Allocators.Calibration)
        {
            CalibrationCall?.Invoke(cpu, (AllocOp)ev.Op, (long)ev.LatencyNs);
            return;
        }
        var comm = data.Slice(AllocEvent.CommOffset, AllocEvent.CommLength);
        // A Go stop-the-world carries the runtime's reason plus one in flags (0: the release passes none).
        byte stopReason = ev.Op == (byte)AllocOp.GcPause ? (byte)ev.Flags : (byte)0;
        long latency = Correction is { } c ? c.Correct(ev.Allocator, (AllocOp)ev.Op, (long)ev.LatencyNs, cpu) : (long)ev.LatencyNs;
        if (_perThread)
        {
            var key = new SeriesKey((int)ev.Pid, ev.Allocator, (AllocOp)ev.Op, SizeClass.Of(ev.Size), Tid: (int)ev.Tid, GoStopReason: stopReason);
            Recorder!.Record(key, ev.Size, latency, comm, data.Slice(AllocEvent.ThreadCommOffset, AllocEvent.CommLength));
        }
        else
        {
            var key = new SeriesKey((int)ev.Pid, ev.Allocator, (AllocOp)ev.Op, SizeClass.Of(ev.Size), GoStopReason: stopReason);
            Recorder!.Record(key, ev.Size, latency, comm);
        }
        Interlocked.Increment(ref _events);
    }

    /// <summary>Forgets what was counted so far: the collector's own calls, recorded while calibrating before any target.</summary>
    public void ResetCounts()
    {
        Interlocked.Exchange(ref _events, 0);
        Interlocked.Exchange(ref _lost, 0);
    }

    public void OnLost(int cpu, ulong count) => Interlocked.Add(ref _lost, (long)count);
}
