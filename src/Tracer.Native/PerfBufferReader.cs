using System.Runtime.InteropServices;
using Tracer.Native.Interop;

namespace Tracer.Native;

/// <summary>Receives perf-buffer records on the polling thread. Implementations must not block.</summary>
public interface IPerfSampleHandler
{
    void OnSample(int cpu, ReadOnlySpan<byte> data);

    void OnLost(int cpu, ulong count);
}

/// <summary>
/// Reads a <c>BPF_MAP_TYPE_PERF_EVENT_ARRAY</c> through libbpf's perf_buffer. Samples are handed to the handler
/// as spans over the ring memory: nothing is copied or allocated per event.
/// </summary>
public sealed unsafe class PerfBufferReader : IDisposable
{
    private readonly SafePerfBufferHandle _pb;
    private readonly IPerfSampleHandler _handler;
    private GCHandle _self;
    private Exception? _callbackError;

    public PerfBufferReader(BpfMap map, int pagesPerCpu, IPerfSampleHandler handler)
    {
        if (pagesPerCpu <= 0 || (pagesPerCpu & (pagesPerCpu - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(pagesPerCpu), "must be a power of two");
        _handler = handler;
        _self = GCHandle.Alloc(this);
        var opts = new PerfBufferOpts { sz = (nuint)sizeof(PerfBufferOpts) };
        nint pb = NativeMethods.perf_buffer__new(map.Fd, (nuint)pagesPerCpu, &OnSample, &OnLost, GCHandle.ToIntPtr(_self), &opts);
        if (pb == 0)
        {
            int errno = Libbpf.LastErrno();
            _self.Free();
            throw new LibbpfException("perf_buffer__new", errno, Libbpf.RecentMessages());
        }
        _pb = new SafePerfBufferHandle(pb);
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for records and consumes them. Returns how many.</summary>
    public int Poll(int timeoutMs)
    {
        int n = NativeMethods.perf_buffer__poll(_pb, timeoutMs);
        if (_callbackError is { } e)
        {
            _callbackError = null;
            throw new InvalidOperationException("a perf-buffer handler failed", e);
        }
        if (n >= 0)
            return n;
        const int EINTR = 4;
        if (-n == EINTR)
            return 0;
        throw new LibbpfException("perf_buffer__poll", -n);
    }

    public void Dispose()
    {
        _pb.Dispose();
        if (_self.IsAllocated)
            _self.Free();
    }

    [UnmanagedCallersOnly]
    private static void OnSample(nint ctx, int cpu, byte* data, uint size)
    {
        var self = (PerfBufferReader)GCHandle.FromIntPtr(ctx).Target!;
        try
        {
            self._handler.OnSample(cpu, new ReadOnlySpan<byte>(data, (int)size));
        }
        catch (Exception e)
        {
            // Unwinding through libbpf's frames would kill the process; report on return from poll instead.
            self._callbackError ??= e;
        }
    }

    [UnmanagedCallersOnly]
    private static void OnLost(nint ctx, int cpu, ulong count)
    {
        var self = (PerfBufferReader)GCHandle.FromIntPtr(ctx).Target!;
        try
        {
            self._handler.OnLost(cpu, count);
        }
        catch (Exception e)
        {
            self._callbackError ??= e;
        }
    }
}
