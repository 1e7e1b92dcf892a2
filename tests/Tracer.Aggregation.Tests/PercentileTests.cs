using Tracer.Aggregation;
using Tracer.Core;

namespace Tracer.Aggregation.Tests;

public class PercentileTests
{
    private static long Exact(long[] sorted, double percentile)
    {
        // Nearest rank: the smallest value with at least percentile% of values at or below it. Integer arithmetic,
        // because 99.9 / 100 * 1000 is 999.0000000000001 in floating point.
        long hundredths = (long)Math.Round(percentile * 100);
        long rank = Math.Max(1, (hundredths * sorted.Length + 9999) / 10000);
        return sorted[rank - 1];
    }

    [Theory]
    [InlineData(1, 10_000)]
    [InlineData(2, 100_000)]
    [InlineData(3, 1_000)]
    public void SnapshotPercentilesAgreeWithAnExactSortWithinThePrecision(int seed, int n)
    {
        var random = new Random(seed);
        var table = new SeriesTable();
        var key = new SeriesKey(42, Allocators.Glibc, AllocOp.Malloc, SizeClass.Of(65536));
        var values = new long[n];
        for (int i = 0; i < n; i++)
        {
            // Log-uniform from 100 ns to 100 ms: the span allocation latencies cover.
            values[i] = (long)Math.Exp(Math.Log(100) + random.NextDouble() * (Math.Log(1e8) - Math.Log(100)));
            table.Record(key, 65536, values[i], "bench"u8);
        }
        Array.Sort(values);
        var stats = Assert.Single(table.TakeSnapshot()).Stats;

        Assert.Equal(n, stats.Count);
        Assert.Equal(65536L * n, stats.Bytes);
        foreach (var (p, actual) in new[] { (50.0, stats.P50), (90.0, stats.P90), (99.0, stats.P99), (99.9, stats.P999), (99.99, stats.P9999), (100.0, stats.Max) })
        {
            long exact = Exact(values, p);
            // 3 significant digits: every reported value is within 0.1% of the value it stands for.
            Assert.InRange(actual, exact * 0.999, exact * 1.001 + 1);
        }
        Assert.InRange(stats.Min, values[0] * 0.999, values[0] * 1.001 + 1);
        Assert.InRange(stats.Mean, values.Average() * 0.999, values.Average() * 1.001);
    }

    [Fact]
    public void LatenciesOutsideTheRangeAreClampedNotLost()
    {
        var table = new SeriesTable();
        var key = new SeriesKey(1, Allocators.Kernel, AllocOp.Mmap, 20);
        table.Record(key, 1 << 20, 120_000_000_000, "x"u8);
        table.Record(key, 1 << 20, -5, "x"u8);
        var stats = Assert.Single(table.TakeSnapshot()).Stats;
        Assert.Equal(2, stats.Count);
        Assert.InRange(stats.Max, LatencyHistograms.HighestNs * 0.999, LatencyHistograms.HighestNs * 1.001);
        Assert.Equal(0, stats.Min);
    }
}

public class SeriesTableTests
{
    [Fact]
    public void TagsNameTheSeriesAndFollowARename()
    {
        var table = new SeriesTable();
        var key = new SeriesKey(7, Allocators.Jemalloc, AllocOp.Calloc, SizeClass.Of(3 << 20));
        table.Record(key, 3 << 20, 1000, "old-name\0\0\0"u8);
        var first = Assert.Single(table.TakeSnapshot());
        Assert.Equal("alloc_latency", first.Measurement);
        Assert.Equal(["allocator", "comm", "op", "pid", "size_class"], first.Tags.Select(t => t.Key));
        Assert.Equal(["jemalloc", "old-name", "calloc", "7", "2M"], first.Tags.Select(t => t.Value));

        table.Record(key, 3 << 20, 1000, "new name, =\"x\""u8);
        Assert.Equal("new name, =\"x\"", Assert.Single(table.TakeSnapshot()).Tag("comm"));
    }

    [Fact]
    public void AnIntervalStartsEmptyAndIdleSeriesAreForgotten()
    {
        var table = new SeriesTable(evictAfterIdleIntervals: 3);
        var key = new SeriesKey(9, Allocators.Kernel, AllocOp.Munmap, 15);
        table.Record(key, 40_000, 500, "a"u8);
        table.Record(key, 40_000, 700, "a"u8);
        Assert.Equal(2, Assert.Single(table.TakeSnapshot()).Stats.Count);
        Assert.Empty(table.TakeSnapshot());
        Assert.Equal(1, table.Count);
        Assert.Empty(table.TakeSnapshot());
        Assert.Empty(table.TakeSnapshot());
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void KeptHistogramsAreEncodedCopiesOfTheInterval()
    {
        var table = new SeriesTable(keepHistograms: true);
        var key = new SeriesKey(9, Allocators.Kernel, AllocOp.Mmap, 20);
        for (int i = 1; i <= 100; i++)
            table.Record(key, 1 << 20, i * 1000, "a"u8);
        var encoded = Assert.Single(table.TakeSnapshot()).EncodedHistogram!;
        table.Record(key, 1 << 20, 5, "a"u8);
        var h = LatencyHistograms.Decode(encoded);
        Assert.Equal(100, h.TotalCount);
        Assert.Equal(h.LowestEquivalentValue(100_000), h.LowestEquivalentValue(h.RecordedValues().Last().ValueIteratedTo));
        var plain = new SeriesTable();
        plain.Record(key, 1, 1, "a"u8);
        Assert.Null(Assert.Single(plain.TakeSnapshot()).EncodedHistogram);
    }
}

public class SizeClassTests
{
    [Theory]
    [InlineData(0UL, "1B")]
    [InlineData(32767UL, "16K")]
    [InlineData(32768UL, "32K")]
    [InlineData(40960UL, "32K")]
    [InlineData(65536UL, "64K")]
    [InlineData(1052672UL, "1M")]
    [InlineData(1073741824UL, "1G")]
    [InlineData(3221225472UL, "2G")]
    [InlineData(512UL, "512B")]
    public void ClassIsThePowerOfTwoLowerBound(ulong size, string label) =>
        Assert.Equal(label, SizeClass.Label(SizeClass.Of(size)));

    [Theory]
    [InlineData("32K", 32768UL)]
    [InlineData("1m", 1048576UL)]
    [InlineData("2GiB", 2147483648UL)]
    [InlineData("4096", 4096UL)]
    public void SizesParse(string text, ulong bytes)
    {
        Assert.True(SizeClass.TryParseSize(text, out ulong parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("12Q")]
    [InlineData("")]
    [InlineData("K")]
    [InlineData("-1K")]
    [InlineData("99999999999999999999G")]
    public void BadSizesAreRejected(string text) => Assert.False(SizeClass.TryParseSize(text, out _));
}

public class HistogramCodecTests
{
    [Fact]
    public void EncodedHistogramsDecodeAndMergeToTheSameDistribution()
    {
        var random = new Random(5);
        var a = LatencyHistograms.Create();
        var b = LatencyHistograms.Create();
        var all = new List<long>();
        for (int i = 0; i < 20_000; i++)
        {
            long v = random.NextInt64(100, 50_000_000);
            (i % 3 == 0 ? a : b).RecordValue(v);
            all.Add(v);
        }
        var merged = LatencyHistograms.Merge([LatencyHistograms.Decode(LatencyHistograms.Encode(a)), LatencyHistograms.Decode(LatencyHistograms.Encode(b))]);
        var direct = LatencyHistograms.Create();
        foreach (var v in all)
            direct.RecordValue(v);

        Assert.Equal(direct.TotalCount, merged.TotalCount);
        foreach (var p in new[] { 50.0, 90, 99, 99.9, 99.99, 100 })
            Assert.Equal(direct.GetValueAtPercentile(p), merged.GetValueAtPercentile(p));
    }
}
