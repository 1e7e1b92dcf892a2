namespace Tracer.Core;

/// <summary>
/// What the probes on the malloc family cost on this host, calibrated at start (precise mode): the part of every
/// recorded latency that is the probes' own, and what each call of a target pays for its traps.
/// </summary>
/// <param name="BiasNs">the probes' own time inside one recorded latency of a function whose first instruction the kernel
/// emulates (a push, as glibc's malloc): from the entry program's clock read to the return program's, less the call
/// itself; subtracted from each such latency unless <paramref name="Subtracted"/> is false</param>
/// <param name="SteppedBiasNs">the same for a function whose first instruction is single-stepped (as glibc's free): a
/// second trap lies inside the measured interval</param>
/// <param name="SmallPairNs">time a malloc+free pair of a target gains from the probes when neither call is recorded
/// (below the size filter): the trap at each entry and return, and programs that exit early</param>
/// <param name="TracedPairNs">the same for a pair whose calls are both recorded (at or above the size filter)</param>
/// <param name="BarePairNs">the same pair without probes</param>
/// <param name="Samples">recorded calls the bias is the median of</param>
/// <param name="Subtracted">whether the bias is subtracted from recorded latencies (false: <c>--raw-latency</c>)</param>
public sealed record ProbeCost(long BiasNs, long SteppedBiasNs, double SmallPairNs, double TracedPairNs, double BarePairNs, int Samples, bool Subtracted)
{
    /// <summary>
    /// CPUs on which the figures are measured again while tracing, each CPU's own then subtracted from the calls that
    /// return there unless <see cref="Subtracted"/> is false (0: only the start-up figures were measured).
    /// </summary>
    public int TrackedCpus { get; init; }

    /// <summary>What one call of the malloc family pays for its entry and return traps (half a small pair).</summary>
    public double CallNs => SmallPairNs / 2;

    /// <summary>
    /// How many times slower a program runs that, untraced, makes <paramref name="pairsPerSecond"/> small malloc+free
    /// pairs per second of its run: each second of its own work gains that many pairs' probe cost.
    /// </summary>
    public double Slowdown(double pairsPerSecond) => 1 + pairsPerSecond * Math.Max(SmallPairNs, 0) / 1e9;

    /// <summary>
    /// The one correction of a recorded latency: the bias subtracted, never below zero (a call faster than the median
    /// bias, when the probes happened to be quicker than usual).
    /// </summary>
    public static long Subtract(long latencyNs, long biasNs) => latencyNs > biasNs ? latencyNs - biasNs : 0;

    /// <summary>
    /// Whether latencies of <paramref name="op"/> are measured by the probes calibrated (an entry uprobe and a
    /// uretprobe on a library function): the malloc family and C++'s operators. Syscalls (tracepoints) and Go's
    /// calls (uprobes on RET instructions) are measured otherwise and are not corrected.
    /// </summary>
    public static bool IsCorrected(AllocOp op) =>
        op is >= AllocOp.Malloc and <= AllocOp.Free or >= AllocOp.New and <= AllocOp.DeleteArray;
}
