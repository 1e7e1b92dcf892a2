using Tracer.Aggregation;
using Tracer.Core;

namespace Tracer.Aggregation.Tests;

/// <summary>Go stop-the-world pauses are split by the runtime's reason where the release passes one (Go 1.22+).</summary>
public class GoStopReasonTagTests
{
    private static SeriesKey Pause(byte reasonPlusOne) => new(7, Allocators.Go, AllocOp.GcPause, 0, GoStopReason: reasonPlusOne);

    [Fact]
    public void EachReasonIsItsOwnSeriesAndNoneMeansNoTag()
    {
        var table = new SeriesTable();
        table.Record(Pause(0), 0, 1000, "old"u8);
        table.Record(Pause(1 + 1), 0, 2000, "new"u8);
        table.Record(Pause(1 + 2), 0, 3000, "new"u8);
        table.Record(Pause(1 + 2), 0, 4000, "new"u8);
        table.Record(Pause(1 + 200), 0, 5000, "new"u8);

        var series = table.TakeSnapshot().ToDictionary(s => s.Tag("reason") ?? "", s => s);
        Assert.Equal(["", "200", "GCMarkTerm", "GCSweepTerm"], series.Keys.Order());
        Assert.Equal(2, series["GCSweepTerm"].Stats.Count);
        Assert.All(series.Values, s => Assert.Equal(("gc_pause", "go"), (s.Measurement, s.Tag("runtime"))));
        Assert.Equal(["comm", "pid", "runtime"], series[""].Tags.Select(t => t.Key));
        Assert.Equal(["comm", "pid", "reason", "runtime"], series["GCMarkTerm"].Tags.Select(t => t.Key));
    }
}
