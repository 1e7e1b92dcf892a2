using System.Globalization;
using Tracer.Core;

namespace Alloclat.Cli.Record;

/// <summary>
/// The start-up line of precise mode: what the probes cost a target on this host, as calibrated, and what that
/// means for a program that allocates often.
/// </summary>
internal static class ProbeCostWarning
{
    /// <summary>The rates of small allocations the line puts the cost in terms of (malloc+free pairs per second).</summary>
    public const double HighRate = 1_000_000, LowRate = 10_000;

    public static string Line(ProbeCost cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        string kept = !cost.Subtracted ? "is kept (--raw-latency)"
            : cost.TrackedCpus > 0 ? "is subtracted, as measured again on each CPU while tracing (--raw-latency keeps it)"
            : "is subtracted (--raw-latency keeps it)";
        return $"[WARN] --precise: each malloc-family call of the target now takes a uprobe trap at its entry and its return, measured here at " +
            $"{Ns(cost.CallNs)} per call, {Ns(cost.SmallPairNs)} per malloc+free pair ({Ns(cost.BarePairNs)} untraced): a program doing 1 M small " +
            $"allocations per second will run ~{Times(cost.Slowdown(HighRate))} slower, one doing 10 k ~{Times(cost.Slowdown(LowRate))}; " +
            $"{Ns(cost.BiasNs)} of each recorded latency is the probes' own ({Ns(cost.SteppedBiasNs)} where the function's first instruction is " +
            $"single-stepped, as glibc's free) and {kept}";
    }

    /// <summary>The probes' cost could be calibrated at start but not followed per CPU while tracing.</summary>
    public static string NotTracked(string reason) =>
        $"[WARN] --precise: the probes' cost is not measured again per CPU while tracing ({reason}): the start-up figure stands " +
        "for every call, on whatever CPU and whenever it ran";

    public static string Failed(string reason) =>
        $"[WARN] --precise: each malloc-family call of the target now takes a uprobe trap at its entry and its return; their cost could not be " +
        $"calibrated here ({reason}): latencies are recorded as measured, the probes' own time included";

    /// <summary>A duration in running text, to three significant digits: <c>7 ns</c>, <c>5.31 us</c>, <c>12.2 us</c>.</summary>
    public static string Ns(double ns)
    {
        if (ns < 999.5)
            return Math.Round(ns).ToString("0", CultureInfo.InvariantCulture) + " ns";
        double us = ns / 1000;
        string format = us < 9.995 ? "0.00" : us < 99.95 ? "0.0" : "0";
        return us < 999.5 ? us.ToString(format, CultureInfo.InvariantCulture) + " us" : (us / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " ms";
    }

    /// <summary>A slowdown factor: <c>13x</c>, <c>1.5x</c>.</summary>
    public static string Times(double factor) =>
        (factor >= 10 ? factor.ToString("0", CultureInfo.InvariantCulture) : factor.ToString("0.0", CultureInfo.InvariantCulture)) + "x";
}
