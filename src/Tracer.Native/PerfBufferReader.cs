using System.Runtime.InteropServices;
using Tmds.Linux;
using Tracer.Native.Interop;

namespace Tracer.Native;

/// <summary>Receives perf-buffer records on the polling thread. Implementations must not block.</summary>
public interface IPerfSampleHandler
{
    void OnSample(int cpu, ReadOnlySpan<byte> data);

    void OnLost(int cpu, ulong count);
}

/// <summary>
/// Reads a <c>BPF_MAP_TYPE_PERF_EVENT_ARRAY</c> through libbpf's raw perf buffer. Samples are handed to the handler
/// as spans over the ring memory: nothing is copied or allocated per event.
/// </summary>
/// <remarks>
/// libbpf's plain perf buffer asks the kernel to wake the reader for every record, which costs the traced program
/// a wakeup per event and the collector a context switch per event. For a busy stream this reader sets a
/// watermark instead (<c>batched</c>): the kernel wakes it when a CPU's ring is a quarter full, and every poll
/// drains all rings whether or not they woke it, so no record waits longer than one poll. A stream of rare
/// records that must be handled at once (a slow call whose process may exit next) wakes it per record.
/// </remarks>
public sealed unsafe class PerfBufferReader : IDisposable
{
    private readonly SafePerfBufferHandle _pb;
    private readonly IPerfSampleHandler _handler;
    private GCHandle _self;
    private Exception? _callbackError;

    public PerfBufferReader(BpfMap map, int pagesPerCpu, IPerfSampleHandler handler, bool batched = true)
    {
        if (pagesPerCpu <= 0 || (pagesPerCpu & (pagesPerCpu - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(pagesPerCpu), "must be a power of two");
        _handler = handler;
        _self = GCHandle.Alloc(this);
        var attr = new PerfEventAttr
        {
            type = PerfEventAttr.PERF_TYPE_SOFTWARE,
            size = PerfEventAttr.Size,
            config = PerfEventAttr.PERF_COUNT_SW_BPF_OUTPUT,
            sample_period = 1,
            sample_type = PerfEventAttr.PERF_SAMPLE_RAW,
            flags = batched ? PerfEventAttr.FlagWatermark : 0,
            // With the watermark flag this is a byte count; without it, a record count.
            wakeup_watermark = batched ? (uint)(pagesPerCpu * Environment.SystemPageSize / 4) : 1,
        };
        var opts = new PerfBufferRawOpts { sz = (nuint)sizeof(PerfBufferRawOpts) };
        nint pb = NativeMethods.perf_buffer__new_raw(map.Fd, (nuint)pagesPerCpu, &attr, &OnEvent, GCHandle.ToIntPtr(_self), &opts);
        if (pb == 0)
        {
            int errno = Libbpf.LastErrno();
            _self.Free();
            throw new LibbpfException("perf_buffer__new_raw", errno, Libbpf.RecentMessages());
        }
        _pb = new SafePerfBufferHandle(pb);
    }


    /// <summary>Waits up to <paramref name="timeoutMs"/> for a ring to wake the reader, then drains every ring.</summary>
    public int Poll(int timeoutMs) => WaitAndDrain([this], timeoutMs);

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> until any of the readers is woken, then drains every ring of every
    /// reader. Returns how many records were handled.
    /// </summary>
    public static int WaitAndDrain(ReadOnlySpan<PerfBufferReader> readers, int timeoutMs)
    {
        Span<PollFd> fds = stackalloc PollFd[readers.Length];
        for (int i = 0; i < readers.Length; i++)
            fds[i] = new PollFd { fd = NativeMethods.perf_buffer__epoll_fd(readers[i]._pb), events = PollFd.POLLIN };
        fixed (PollFd* p = fds)
        {
            if (NativeMethods.poll(p, (nuint)fds.Length, timeoutMs) < 0 && Libbpf.LastErrno() is int errno && errno != LibC.EINTR)
                throw new LibbpfException("poll", errno);
        }
        int handled = 0;
        foreach (var reader in readers)
            handled += reader.Drain();
        return handled;
    }

    private int Drain()
    {
        int drained = NativeMethods.perf_buffer__consume(_pb);
        if (drained < 0 && -drained != LibC.EINTR)
            throw new LibbpfException("perf_buffer__consume", -drained);
        if (_callbackError is { } e)
        {
            _callbackError = null;
            throw new InvalidOperationException("a perf-buffer handler failed", e);
        }
        return Math.Max(drained, 0);
    }

    public void Dispose()
    {
        _pb.Dispose();
        if (_self.IsAllocated)
            _self.Free();
    }

    [UnmanagedCallersOnly]
    private static int OnEvent(nint ctx, int cpu, PerfEventHeader* header)
    {
        const int Continue = -2; // LIBBPF_PERF_EVENT_CONT
        var self = (PerfBufferReader)GCHandle.FromIntPtr(ctx).Target!;
        try
        {
            byte* body = (byte*)(header + 1);
            switch (header->type)
            {
                case PerfEventHeader.PERF_RECORD_SAMPLE:
                    // PERF_SAMPLE_RAW: a u32 size, then the bytes bpf_perf_event_output wrote (padded to 8).
                    self._handler.OnSample(cpu, new ReadOnlySpan<byte>(body + sizeof(uint), (int)*(uint*)body));
                    break;
                case PerfEventHeader.PERF_RECORD_LOST:
                    // u64 id, u64 lost
                    self._handler.OnLost(cpu, *(ulong*)(body + sizeof(ulong)));
                    break;
            }
        }
        catch (Exception e)
        {
            // Unwinding through libbpf's frames would kill the process; report on return from poll instead.
            self._callbackError ??= e;
        }
        return Continue;
    }
}
