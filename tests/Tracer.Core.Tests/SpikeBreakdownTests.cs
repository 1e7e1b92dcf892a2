using Tracer.Core;

namespace Tracer.Core.Tests;

/// <summary>A slow call's cause is the largest share of its time, from the counters read at entry and return.</summary>
public class SpikeBreakdownTests
{
    [Theory]
    // latency, reclaim, compaction, on-CPU, run-queue wait, faults, syscall: cause
    [InlineData(10_000_000, 0, 0, 1_000_000, 0, 0, false, "off_cpu")]
    [InlineData(10_000_000, 0, 0, 1_000_000, 8_000_000, 0, false, "preempted")]
    [InlineData(10_000_000, 6_000_000, 0, 7_000_000, 0, 10, true, "reclaim")]
    [InlineData(10_000_000, 0, 6_000_000, 9_000_000, 0, 4, true, "compaction")]
    [InlineData(10_000_000, 0, 3_000_000, 9_000_000, 0, 4, true, "page_population")]
    [InlineData(78_000_000, 0, 0, 60_000_000, 18_000_000, 16384, true, "page_population")]
    [InlineData(10_000_000, 0, 0, 9_800_000, 100_000, 40, false, "page_faults")]
    [InlineData(10_000_000, 0, 0, 9_800_000, 100_000, 0, true, "on_cpu")]
    public void TheCauseIsTheLargestShareOfTheCall(long latency, long reclaim, long compaction, long onCpu, long runQueue, long faults, bool syscall, string cause) =>
        Assert.Equal(cause, new SpikeBreakdown
        {
            Latency = latency, Reclaim = reclaim, Compaction = compaction, OnCpu = onCpu, RunQueue = runQueue,
            MinorFaults = faults, Syscall = syscall,
        }.Cause);

    [Fact]
    public void ACallThatMovedThreadsHasOnlyItsTracedCauses()
    {
        Assert.Equal("unknown", new SpikeBreakdown { Latency = 9_000_000, Moved = true }.Cause);
        Assert.Equal("reclaim", new SpikeBreakdown { Latency = 9_000_000, Reclaim = 1, Moved = true }.Cause);
    }
}
