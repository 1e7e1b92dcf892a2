using Tracer.Core;

namespace Tracer.Core.Tests;

/// <summary>The arithmetic of the probes' calibrated cost: the correction of one latency and the slowdown stated at start.</summary>
public class ProbeCostTests
{
    private static ProbeCost Cost(double smallPairNs = 12_000) => new(700, 20_000, smallPairNs, 13_000, 40, 10_000, Subtracted: true);

    [Theory]
    [InlineData(1_500L, 700L, 800L)]
    [InlineData(700L, 700L, 0L)]
    [InlineData(650L, 700L, 0L)]
    [InlineData(0L, 700L, 0L)]
    [InlineData(5_000_000L, 0L, 5_000_000L)]
    public void TheBiasIsSubtracted_NeverBelowZero(long latency, long bias, long expected) =>
        Assert.Equal(expected, ProbeCost.Subtract(latency, bias));

    [Theory]
    [InlineData(AllocOp.Malloc, true)]
    [InlineData(AllocOp.Calloc, true)]
    [InlineData(AllocOp.Realloc, true)]
    [InlineData(AllocOp.PosixMemalign, true)]
    [InlineData(AllocOp.Free, true)]
    [InlineData(AllocOp.New, true)]
    [InlineData(AllocOp.DeleteArray, true)]
    [InlineData(AllocOp.Mmap, false)]
    [InlineData(AllocOp.Munmap, false)]
    [InlineData(AllocOp.Brk, false)]
    [InlineData(AllocOp.GoLarge, false)]
    [InlineData(AllocOp.GcPause, false)]
    [InlineData(AllocOp.Mprotect, false)]
    [InlineData(AllocOp.Madvise, false)]
    public void OnlyCallsMeasuredByEntryAndReturnUprobesAreCorrected(AllocOp op, bool corrected) =>
        Assert.Equal(corrected, ProbeCost.IsCorrected(op));

    [Fact]
    public void ACallPaysHalfAPairOfTraps() => Assert.Equal(6_000, Cost().CallNs);

    [Theory]
    [InlineData(12_000.0, 1_000_000.0, 13.0)]
    [InlineData(12_000.0, 10_000.0, 1.12)]
    [InlineData(300.0, 1_000_000.0, 1.3)]
    [InlineData(12_000.0, 0.0, 1.0)]
    public void TheSlowdownIsOneSecondOfWorkPlusThePairsProbeCost(double pairNs, double pairsPerSecond, double expected) =>
        Assert.Equal(expected, Cost(pairNs).Slowdown(pairsPerSecond), 9);
}
