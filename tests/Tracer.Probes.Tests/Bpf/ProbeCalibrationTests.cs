using Tracer.Core;
using Tracer.Probes;

namespace Tracer.Probes.Tests.Bpf;

/// <summary>The calibration's figures from its samples: medians, refusals, and the correction by entry kind.</summary>
public class ProbeCalibrationTests
{
    private static List<long> Samples(long typical, int count, int disturbed = 0) =>
        [.. Enumerable.Range(0, count).Select(i => i < disturbed ? typical * 40 : typical + i % 7)];

    [Fact]
    public void EachBiasIsTheMedianOfItsKind_UndisturbedByTheSlowCallsOfABusyHost()
    {
        // A third of the calls were preempted (40 times slower): the median stays with the typical call.
        var cost = ProbeCalibration.Estimate(Samples(700, 1000, disturbed: 300), Samples(20_000, 1000, disturbed: 300),
            smallPairNs: 24_000, tracedPairNs: 26_000, barePairNs: 40, subtract: true);
        Assert.InRange(cost.BiasNs, 700, 706);
        Assert.InRange(cost.SteppedBiasNs, 20_000, 20_006);
        Assert.Equal(2000, cost.Samples);
        Assert.Equal(12_000, cost.CallNs);
        Assert.True(cost.Subtracted);
    }

    [Fact]
    public void TheMedianOfAnEvenCountIsTheLowerMiddleValue()
    {
        Assert.Equal(20, ProbeCalibration.Median([40, 10, 30, 20]));
        Assert.Equal(7, ProbeCalibration.Median([7]));
        Assert.Throws<ArgumentException>(() => ProbeCalibration.Median([]));
    }

    [Fact]
    public void TooFewRecordedCallsAreRefused()
    {
        var e = Assert.Throws<ProbeCalibrationException>(() => ProbeCalibration.Estimate(Samples(700, 1000),
            Samples(20_000, ProbeCalibration.MinSamples - 1), 24_000, 26_000, 40, subtract: true));
        Assert.Equal($"{ProbeCalibration.MinSamples - 1} calls of single-stepped entry recorded, fewer than {ProbeCalibration.MinSamples}", e.Message);
    }

    [Fact]
    public void AFigureOfZeroIsRefused_NeverSubtracted()
    {
        var e = Assert.Throws<ProbeCalibrationException>(() => ProbeCalibration.Estimate(Samples(0, 1000).Select(_ => 0L).ToList(),
            Samples(20_000, 1000), 24_000, 26_000, 40, subtract: true));
        Assert.Equal("the median latency recorded for calls of emulated entry is 0 ns", e.Message);
    }

    [Fact]
    public void ProbesThatCostNothingAreRefused()
    {
        var e = Assert.Throws<ProbeCalibrationException>(() => ProbeCalibration.Estimate(Samples(700, 1000), Samples(20_000, 1000), -3, 26_000, 40, subtract: true));
        Assert.Equal("calls with probes were not slower than without (-3 ns more per pair)", e.Message);
    }

    [Fact]
    public void TheCorrectionTakesTheFigureOfTheSitesEntryKind_AndLeavesOtherOpsAlone()
    {
        var c = new LatencyCorrection(new ProbeCost(700, 20_000, 24_000, 26_000, 40, 2000, Subtracted: true));
        c.Learn(Allocators.Glibc, AllocOp.Free, singleStepped: true);
        c.Learn(Allocators.Glibc, AllocOp.Malloc, singleStepped: false);
        Assert.Equal(300, c.Correct(Allocators.Glibc, AllocOp.Malloc, 1_000));
        Assert.Equal(5_000, c.Correct(Allocators.Glibc, AllocOp.Free, 25_000));
        Assert.Equal(0, c.Correct(Allocators.Glibc, AllocOp.Free, 19_000));
        // Not learnt: the emulated (smaller) figure.
        Assert.Equal(300, c.Correct(Allocators.Jemalloc, AllocOp.Free, 1_000));
        // Syscalls and Go calls are measured otherwise.
        Assert.Equal(1_000, c.Correct(Allocators.Kernel, AllocOp.Mmap, 1_000));
        Assert.Equal(1_000, c.Correct(Allocators.Go, AllocOp.GoLarge, 1_000));
    }

    [Fact]
    public void RawLatenciesAreLeftAsMeasured()
    {
        var c = new LatencyCorrection(new ProbeCost(700, 20_000, 24_000, 26_000, 40, 2000, Subtracted: false));
        Assert.Equal(1_000, c.Correct(Allocators.Glibc, AllocOp.Malloc, 1_000));
    }

    [Fact]
    public void ASitesEntryKindIsReadFromItsFile()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("alloclat-entry-").FullName, "code.bin");
        // At offset 0 a push (emulated), at offset 16 a test (single-stepped).
        var code = new byte[32];
        code[0] = 0x55;
        new byte[] { 0x48, 0x85, 0xff }.CopyTo(code, 16);
        File.WriteAllBytes(path, code);
        var c = new LatencyCorrection(new ProbeCost(700, 20_000, 24_000, 26_000, 40, 2000, Subtracted: true));
        c.Learn([new UprobeSite(path, 0, "malloc", Allocators.Jemalloc, AllocOp.Malloc), new UprobeSite(path, 16, "free", Allocators.Jemalloc, AllocOp.Free)]);
        Assert.False(c.IsSingleStepped(Allocators.Jemalloc, AllocOp.Malloc));
        Assert.True(c.IsSingleStepped(Allocators.Jemalloc, AllocOp.Free));
        Assert.Equal(5_000, c.Correct(Allocators.Jemalloc, AllocOp.Free, 25_000));
    }

    [Fact]
    public void EachCpuHasItsOwnFigures_StartingAsTheStartUpOnes_AndTheKernelIsToldOfEachChange()
    {
        var c = new LatencyCorrection(new ProbeCost(700, 20_000, 24_000, 26_000, 40, 2000, Subtracted: true));
        c.Learn(Allocators.Glibc, AllocOp.Free, singleStepped: true);
        var told = new List<(int, long, long)>();
        c.BiasTracked = (cpu, bias, stepped) => told.Add((cpu, bias, stepped));
        c.Track(1, 900, 28_000);
        Assert.Equal([(1, 900L, 28_000L)], told);
        Assert.Equal((700, 20_000), c.BiasOn(0));
        Assert.Equal((900, 28_000), c.BiasOn(1));
        // The same call, returning on either CPU.
        Assert.Equal(300, c.Correct(Allocators.Glibc, AllocOp.Malloc, 1_000, cpu: 0));
        Assert.Equal(100, c.Correct(Allocators.Glibc, AllocOp.Malloc, 1_000, cpu: 1));
        Assert.Equal(5_000, c.Correct(Allocators.Glibc, AllocOp.Free, 25_000, cpu: 0));
        Assert.Equal(0, c.Correct(Allocators.Glibc, AllocOp.Free, 25_000, cpu: 1));
        // A CPU beyond the table keeps the start-up figures; a figure of zero is never taken.
        c.Track(Tracer.Native.Interop.ProbeBias.MaxCpus, 5, 5);
        c.Track(0, 0, 28_000);
        Assert.Single(told);
        Assert.Equal((700, 20_000), c.BiasOn(Tracer.Native.Interop.ProbeBias.MaxCpus));
        Assert.Equal(300, c.Correct(Allocators.Glibc, AllocOp.Malloc, 1_000, cpu: 0));
    }

    [Fact]
    public void KeptFiguresAreFollowedButNeverSubtracted()
    {
        var c = new LatencyCorrection(new ProbeCost(700, 20_000, 24_000, 26_000, 40, 2000, Subtracted: false));
        int told = 0;
        c.BiasTracked = (_, _, _) => told++;
        c.Track(1, 900, 28_000);
        Assert.Equal(0, told);
        Assert.Equal(1_000, c.Correct(Allocators.Glibc, AllocOp.Malloc, 1_000, cpu: 1));
    }
}
