using Tracer.Aggregation;
using Tracer.Core;

namespace Tracer.Aggregation.Tests;

public class HotPathTests
{
    [Fact]
    public void RecordingAnEventAllocatesNothingOnceItsSeriesExists()
    {
        var table = new SeriesTable();
        var keys = Enumerable.Range(0, 64).Select(i => new SeriesKey(1000 + i % 8, (byte)(i % 5), (AllocOp)(i % 13), (byte)(15 + i % 8))).ToArray();
        ReadOnlySpan<byte> comm = "worker-7\0\0\0\0\0\0\0\0"u8;
        foreach (var k in keys)
            table.Record(k, 1 << 20, 1000, comm);

        // The first rounds run while tiered compilation replaces the code (on-stack replacement of the loop, then
        // tier 1), which allocates once; a round after that is the steady state the collector lives in.
        long allocated = -1;
        for (int round = 0; round < 4; round++)
        {
            Thread.Sleep(round == 3 ? 300 : 0);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200_000; i++)
                table.Record(keys[i & 63], 1 << 20, 500 + (i % 100_000) * 37, comm);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.Equal(0, allocated);
        Assert.Equal(64 + 4 * 200_000, table.TakeSnapshot().Sum(s => s.Stats.Count));
    }
}
