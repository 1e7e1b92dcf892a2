using Tracer.Native.Interop;

namespace Tracer.Native;

/// <summary>
/// Converts <c>bpf_ktime_get_ns()</c> timestamps (CLOCK_MONOTONIC) to Unix time. The offset is re-measured on
/// demand, so a stepped wall clock is followed at the next interval.
/// </summary>
public static unsafe class MonotonicClock
{
    public static long NowMonotonicNs() => Read(NativeMethods.CLOCK_MONOTONIC);

    public static long NowUnixNs() => Read(NativeMethods.CLOCK_REALTIME);

    /// <summary>Unix time minus monotonic time, from the tightest of a few paired readings.</summary>
    public static long MeasureOffsetNs()
    {
        long best = long.MaxValue, offset = 0;
        for (int i = 0; i < 5; i++)
        {
            long m0 = NowMonotonicNs();
            long r = NowUnixNs();
            long m1 = NowMonotonicNs();
            if (m1 - m0 < best)
            {
                best = m1 - m0;
                offset = r - (m0 + (m1 - m0) / 2);
            }
        }
        return offset;
    }

    private static long Read(int clock)
    {
        Timespec ts;
        if (NativeMethods.clock_gettime(clock, &ts) != 0)
            throw new LibbpfException("clock_gettime", Libbpf.LastErrno());
        return ts.tv_sec * 1_000_000_000L + ts.tv_nsec;
    }
}
