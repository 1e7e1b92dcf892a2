using System.Runtime.InteropServices;
using Tracer.Native.Interop;

namespace Tracer.Native;

/// <summary>
/// The CPUs the calling thread may run on (<c>sched_getaffinity</c>, <c>sched_setaffinity</c> with pid 0, which names
/// the thread, not the process), for a thread that must measure something on each CPU in turn.
/// </summary>
public static unsafe class CpuAffinity
{
    // cpu_set_t of ProbeBias.MaxCpus bits: the CPUs the probes' cost is tracked for.
    private const int Words = ProbeBias.MaxCpus / 64;

    /// <summary>The CPUs the calling thread is allowed on, ascending.</summary>
    /// <exception cref="IOException">the kernel refused to tell (the message says why)</exception>
    public static int[] OfCurrentThread()
    {
        ulong* mask = stackalloc ulong[Words];
        if (NativeMethods.sched_getaffinity(0, Words * sizeof(ulong), mask) != 0)
            throw new IOException($"sched_getaffinity: {Errno.Name(Marshal.GetLastPInvokeError())}");
        var cpus = new List<int>();
        for (int w = 0; w < Words; w++)
            for (ulong bits = mask[w]; bits != 0; bits &= bits - 1)
                cpus.Add(w * 64 + System.Numerics.BitOperations.TrailingZeroCount(bits));
        return [.. cpus];
    }

    /// <summary>
    /// Confines the calling thread to <paramref name="cpus"/>; false when the kernel refuses (a CPU went offline,
    /// or a cpuset no longer allows it).
    /// </summary>
    public static bool TrySetCurrentThread(ReadOnlySpan<int> cpus)
    {
        ulong* mask = stackalloc ulong[Words];
        new Span<ulong>(mask, Words).Clear();
        foreach (int cpu in cpus)
        {
            if ((uint)cpu >= ProbeBias.MaxCpus)
                return false;
            mask[cpu / 64] |= 1UL << (cpu % 64);
        }
        return NativeMethods.sched_setaffinity(0, Words * sizeof(ulong), mask) == 0;
    }
}
