using Tracer.Aggregation;
using Tracer.Core;

namespace Tracer.Aggregation.Tests;

public class RunSummaryTests
{
    private static readonly SeriesKey s_key = new(42, Allocators.Glibc, AllocOp.Malloc, 20);

    [Fact]
    public void WholeRunPercentilesComeFromTheMergedHistograms_NotFromIntervalPercentiles()
    {
        var run = new RunHistograms();
        var table = new SeriesTable(run: run);
        var all = LatencyHistograms.Create();
        var intervalP50s = new List<long>();
        var random = new Random(7);
        // Ten intervals: nine fast ones of 100 calls and one of 1000 slow calls. The median of the interval medians
        // is fast; the run's median is slow, because most calls of the run are slow.
        for (int i = 0; i < 10; i++)
        {
            int n = i == 9 ? 1000 : 100;
            for (int j = 0; j < n; j++)
            {
                long ns = i == 9 ? 5_000_000 + random.Next(1_000_000) : 10_000 + random.Next(5_000);
                table.Record(s_key, 1 << 20, ns, "prog"u8);
                all.RecordValue(ns);
            }
            intervalP50s.Add(Assert.Single(table.TakeSnapshot()).Stats.P50);
        }
        var series = Assert.Single(run.Summarize());
        Assert.Equal(HistogramStats.Summarize(all, 1900L << 20), series.Stats);
        Assert.Equal(1900, series.Stats.Count);
        Assert.InRange(series.Stats.P50, 5_000_000, 6_010_000);
        Assert.True(intervalP50s.Order().ElementAt(5) < 20_000);
        Assert.Equal("alloc_latency", series.Measurement);
        Assert.Equal("prog", series.Tag("comm"));
    }

    [Fact]
    public void SeriesForgottenForIdlenessStillCountInTheRun()
    {
        var run = new RunHistograms();
        var table = new SeriesTable(evictAfterIdleIntervals: 1, run: run);
        table.Record(s_key, 100, 1_000, "a"u8);
        table.TakeSnapshot();
        table.TakeSnapshot();
        Assert.Equal(0, table.Count);
        table.Record(s_key, 100, 3_000, "a"u8);
        table.TakeSnapshot();
        Assert.Equal(2, Assert.Single(run.Summarize()).Stats.Count);
    }

    [Fact]
    public void AProcessThatExitedKeepsItsFigures_IncludingLateCalls_WithoutItsHistogram()
    {
        var run = new RunHistograms();
        var table = new SeriesTable(run: run);
        table.Record(s_key, 100, 1_000, "a"u8);
        table.ProcessExited(s_key.Pid);
        table.TakeSnapshot();
        // A call that reached the collector after the exit still belongs to the run, once.
        table.Record(s_key, 100, 3_000, "a"u8);
        table.TakeSnapshot();
        table.TakeSnapshot();
        var series = Assert.Single(run.Summarize());
        Assert.Equal(2, series.Stats.Count);
        Assert.Equal(1, run.Count);
    }

    [Fact]
    public void TheRecorderSumsTheCountersAndKeepsTheSlowestCalls()
    {
        var recorder = new RunRecorder(keepSpikes: 3);
        for (int i = 0; i < 50; i++)
        {
            var spike = new EventPoint("alloc_spike", [new("pid", "1")], [new("latency", (long)((i * 37) % 50) * 1_000_000)]) { TimestampUnixNs = i };
            recorder.Observe(new IntervalSnapshot(i * 10, i * 10 + 10, "h", [], new CollectorStats(100, 1, 2, 3)) { Events = [spike] });
        }
        var summary = recorder.Summarize(new RunHistograms());
        Assert.Equal(new RunTotals(50, 5000, 50, 100, 150, 50), summary.Totals);
        Assert.Equal((0L, 500L), (summary.StartUnixNs, summary.EndUnixNs));
        Assert.Equal([49_000_000L, 48_000_000, 47_000_000], summary.WorstSpikes.Select(s => s.Field("latency")!.Value.Integer));
    }

    [Fact]
    public void RunPointsCarryTheSeriesTagsTheSourceMeasurementAndTheTotals()
    {
        var stats = new LatencyStats(3, 30, 1, 2, 3, 4, 5, 6, 7, 8);
        var summary = new RunSummary(100, 200, "h", [new SeriesSnapshot("gc_pause", [new("comm", "g"), new("pid", "9"), new("runtime", "go")], stats)],
            new RunTotals(2, 10, 0, 0, 0, 1), []);
        var points = RunPoints.From(summary);
        Assert.Equal(2, points.Count);
        Assert.Equal(["comm", "pid", "runtime", "source"], points[0].Tags.Select(t => t.Key));
        Assert.Equal("gc_pause", points[0].Tag("source"));
        Assert.Equal(6, points[0].Field("p999")!.Value.Integer);
        Assert.Equal(100, points[0].Field("start")!.Value.Integer);
        Assert.Equal("alloclat_stats", points[1].Tag("source"));
        Assert.Equal(10, points[1].Field("events")!.Value.Integer);
    }
}
