using Alloclat.Cli.Record;
using Tracer.Core;

namespace Alloclat.Tests;

/// <summary>The start-up line of precise mode states the calibrated figures and what they mean, computed from them.</summary>
public class ProbeCostWarningTests
{
    [Fact]
    public void TheLineStatesTheCalibratedCostsAndTheSlowdownTheyMean()
    {
        var cost = new ProbeCost(BiasNs: 712, SteppedBiasNs: 19_460, SmallPairNs: 24_180, TracedPairNs: 26_000, BarePairNs: 41.6, Samples: 10_000, Subtracted: true)
        {
            TrackedCpus = 2,
        };
        Assert.Equal("[WARN] --precise: each malloc-family call of the target now takes a uprobe trap at its entry and its return, measured here at " +
            "12.1 us per call, 24.2 us per malloc+free pair (42 ns untraced): a program doing 1 M small allocations per second will run ~25x slower, " +
            "one doing 10 k ~1.2x; 712 ns of each recorded latency is the probes' own (19.5 us where the function's first instruction is " +
            "single-stepped, as glibc's free) and is subtracted, as measured again on each CPU while tracing (--raw-latency keeps it)", ProbeCostWarning.Line(cost));
    }

    [Fact]
    public void AFigureNotFollowedPerCpuIsSaidToBeTheStartUpOne()
    {
        var cost = new ProbeCost(712, 19_460, 24_180, 26_000, 41.6, 10_000, Subtracted: true);
        Assert.EndsWith("and is subtracted (--raw-latency keeps it)", ProbeCostWarning.Line(cost));
        Assert.Equal("[WARN] --precise: the probes' cost is not measured again per CPU while tracing (sched_getaffinity: EINVAL): the start-up figure " +
            "stands for every call, on whatever CPU and whenever it ran", ProbeCostWarning.NotTracked("sched_getaffinity: EINVAL"));
    }

    [Fact]
    public void RawLatenciesAreSaidToKeepTheCost()
    {
        var cost = new ProbeCost(712, 19_460, 600, 700, 41.6, 10_000, Subtracted: false);
        string line = ProbeCostWarning.Line(cost);
        Assert.Contains("300 ns per call, 600 ns per malloc+free pair", line);
        Assert.Contains("will run ~1.6x slower, one doing 10 k ~1.0x", line);
        Assert.EndsWith("and is kept (--raw-latency)", line);
    }

    [Theory]
    [InlineData(7.4, "7 ns")]
    [InlineData(999.4, "999 ns")]
    [InlineData(999.6, "1.00 us")]
    [InlineData(5_314, "5.31 us")]
    [InlineData(12_150, "12.2 us")]
    [InlineData(150_000, "150 us")]
    [InlineData(2_500_000, "2.50 ms")]
    public void DurationsHaveThreeSignificantDigits(double ns, string text) => Assert.Equal(text, ProbeCostWarning.Ns(ns));

    [Fact]
    public void AFailedCalibrationIsOneLineWithItsReason()
    {
        string line = ProbeCostWarning.Failed("12 calls of emulated entry recorded, fewer than 200");
        Assert.DoesNotContain('\n', line);
        Assert.Contains("could not be calibrated here (12 calls of emulated entry recorded, fewer than 200): latencies are recorded as measured", line);
    }
}
