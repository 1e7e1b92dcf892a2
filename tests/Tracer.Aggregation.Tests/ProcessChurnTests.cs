using Tracer.Aggregation;
using Tracer.Core;

namespace Tracer.Aggregation.Tests;

/// <summary>
/// What the tables keep follows the processes alive, not every process that ever ran: histograms are reused from
/// exited series, and the run summary lists a bounded number of exited series and counts the rest.
/// </summary>
public class ProcessChurnTests
{
    [Fact]
    public void HistogramsFollowTheLiveSeries_NotTheProcessesThatEverRan()
    {
        var run = new RunHistograms(maxExitedSeries: 100);
        var forgotten = new List<int>();
        var table = new SeriesTable(run: run, processForgotten: forgotten.Add);
        const int Live = 5, PerInterval = 40, Intervals = 250;
        // Five processes live through the run; forty short-lived ones each interval, each exiting after one call of
        // each of two ops (two series per process): 10,000 lifetimes, 20,000 series.
        int next = 10_000;
        long calls = 0;
        for (int i = 0; i < Intervals; i++)
        {
            for (int p = 1; p <= Live; p++)
            {
                table.Record(new SeriesKey(p, Allocators.Glibc, AllocOp.Malloc, 20), 1 << 20, 1_000 + i, "live"u8);
                calls++;
            }
            for (int k = 0; k < PerInterval; k++, next++)
            {
                table.Record(new SeriesKey(next, Allocators.Kernel, AllocOp.Mmap, 20), 1 << 20, 2_000 + next % 977, "short"u8);
                table.Record(new SeriesKey(next, Allocators.Kernel, AllocOp.Munmap, 20), 1 << 20, 3_000 + next % 311, "short"u8);
                calls += 2;
                table.ProcessExited(next);
            }
            table.TakeSnapshot();
        }
        table.TakeSnapshot();
        table.TakeSnapshot();

        // Series of a few buckets are kept as buckets and counts: the only dense histogram is the one the run
        // summary borrows (none per series that ran, none per series alive).
        Assert.Equal(1, run.Pool.Created);
        Assert.Equal(Live, table.Count);
        Assert.Equal(PerInterval * Intervals, forgotten.Count);

        var summary = new RunRecorder().Summarize(run);
        Assert.Equal(Live + 100, summary.Series.Count);
        Assert.Equal(2L * PerInterval * Intervals - 100, summary.Totals.OmittedSeries);
        // The series kept are the slowest of the exited ones.
        long slowestOmitted = 3_000 + 310;
        Assert.All(summary.Series.Where(s => s.Tag("comm") == "short"), s => Assert.True(s.Stats.P999 >= 3_000, $"{s.Stats.P999}"));
        Assert.Contains(summary.Series, s => s.Stats.Max >= slowestOmitted - 50);
        Assert.Equal(Live * Intervals, summary.Series.Where(s => s.Tag("comm") == "live").Sum(s => s.Stats.Count));
        Assert.True(calls > summary.Series.Sum(s => s.Stats.Count));
    }
}
