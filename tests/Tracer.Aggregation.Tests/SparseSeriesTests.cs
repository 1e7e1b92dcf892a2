using HdrHistogram;
using Tracer.Aggregation;
using Tracer.Core;

namespace Tracer.Aggregation.Tests;

/// <summary>
/// A series that fills few buckets in an interval is kept as buckets and counts, not as a 220 KB histogram. Its
/// figures, its encoding (fleet mode) and its share of the run summary must be those a dense histogram of the same
/// calls gives, bucket for bucket, on both sides of the point where the series turns dense.
/// </summary>
public class SparseSeriesTests
{
    private static readonly SeriesKey s_key = new(4242, Allocators.Glibc, AllocOp.Malloc, 20);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(47, 1)]
    [InlineData(48, 3)]
    [InlineData(49, 2)]
    [InlineData(200, 5)]
    public void FiguresEncodingAndRunSummaryAreThoseOfTheDenseHistogram(int distinct, int seed)
    {
        var rng = new Random(seed);
        // Values spread over the whole range (1 ns to 60 s, some clamped at the top), several calls per bucket, in
        // no order; some recorded with a count, as the kernel's histograms hand them over.
        var values = Enumerable.Range(0, distinct).Select(_ => (long)Math.Pow(10, rng.NextDouble() * 11)).ToArray();
        var run = new RunHistograms();
        var table = new SeriesTable(keepHistograms: true, run: run);
        var dense = LatencyHistograms.Create();
        var wholeRun = LatencyHistograms.Create();
        for (int interval = 0; interval < 3; interval++)
        {
            dense.Reset();
            foreach (long v in values.OrderBy(_ => rng.Next()))
            {
                long count = 1 + rng.Next(3);
                if (count == 1)
                    table.Record(s_key, 4096, v, "sparse"u8);
                else
                    table.RecordMany(s_key, 4096, v, count, "sparse"u8);
                long clamped = LatencyHistograms.Clamp(v);
                dense.RecordValueWithCount(clamped, count);
                wholeRun.RecordValueWithCount(clamped, count);
            }
            var snapshot = Assert.Single(table.TakeSnapshot());
            Assert.Equal(HistogramStats.Summarize(dense, snapshot.Stats.Bytes), snapshot.Stats);
            Assert.Equal(new HistogramEncoder().Encode(dense), snapshot.EncodedHistogram);
        }
        var summary = Assert.Single(run.Summarize());
        Assert.Equal(HistogramStats.Summarize(wholeRun, summary.Stats.Bytes), summary.Stats);
    }

    [Fact]
    public void SeriesOfAFewBucketsTakeNoDenseHistogram_ABusyOneTakesOneAndGivesItBackWhenIdle()
    {
        var run = new RunHistograms();
        var table = new SeriesTable(run: run);
        // 500 processes, each with two series of a few calls: not one 220 KB histogram among them.
        for (int pid = 1; pid <= 500; pid++)
        {
            for (int i = 0; i < 10; i++)
                table.Record(new SeriesKey(pid, Allocators.Kernel, AllocOp.Mmap, 20), 1 << 20, 20_000 + 1_000 * (i % 4), "short"u8);
            table.Record(new SeriesKey(pid, Allocators.Kernel, AllocOp.Munmap, 20), 1 << 20, 9_000, "short"u8);
        }
        Assert.Equal(1000, table.TakeSnapshot().Count);
        Assert.Equal(0, run.Pool.Created);

        // One series filling a few hundred buckets: one dense histogram, back in the pool after an idle interval.
        var busy = new SeriesKey(1, Allocators.Glibc, AllocOp.Malloc, 20);
        for (int i = 0; i < 1000; i++)
            table.Record(busy, 1 << 20, 1_000 + 13 * i, "busy"u8);
        Assert.Equal(1000, Assert.Single(table.TakeSnapshot(), s => s.Tag("comm") == "busy").Stats.Count);
        Assert.Equal(1, run.Pool.Created);
        Assert.Equal(0, run.Pool.Count);
        Assert.DoesNotContain(table.TakeSnapshot(), s => s.Tag("comm") == "busy");
        Assert.Equal(1, run.Pool.Count);
    }
}
