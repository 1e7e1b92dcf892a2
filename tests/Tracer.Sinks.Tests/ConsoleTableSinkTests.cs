using Tracer.Core;

namespace Tracer.Sinks.Tests;

public class ConsoleTableSinkTests
{
    private static LatencyStats Stats(long count, long p50, long p99, long p999, long max) => new(count, 0, 1, 2, p50, 0, p99, p999, 0, max);

    [Fact]
    public async Task Interval_IsATableSortedByPidAllocatorOpSize_WithHumanUnits()
    {
        var snapshot = new IntervalSnapshot(1795425599000000000, 1795425600000000000, "web-1",
        [
            TestData.Series(4242, "myprog", "glibc", "mmap", "1M", Stats(12, 6911, 12031, 12031, 12031)),
            TestData.Series(77, "redis-server", "jemalloc", "malloc", "64K", Stats(1500, 850, 4_560_000, 9_990_000, 1_200_000_000)),
            TestData.Series(4242, "myprog", "glibc", "malloc", "2G", Stats(3, 999, 1000, 1000, 1000)),
            TestData.Series(4242, "myprog", "glibc", "malloc", "32K", Stats(7, 50_000, 60_000, 70_000, 80_000)),
        ], new CollectorStats(5120, 3, 2, 1));
        var output = new StringWriter();
        await using var sink = new ConsoleTableSink(output, timeZone: TimeZoneInfo.Utc);
        await sink.WriteAsync(snapshot, CancellationToken.None);

        string expected =
            "09:20:00  events/s 5120  lost 3  inflight drops 2  sink drops 1  series 4\n" +
            "    PID COMM            ALLOCATOR  OP             SIZE      COUNT      P50      P99    P99.9      MAX\n" +
            "     77 redis-server    jemalloc   malloc         64K        1500    850ns   4.56ms   9.99ms    1.20s\n" +
            "   4242 myprog          glibc      malloc         32K           7   50.0us   60.0us   70.0us   80.0us\n" +
            "   4242 myprog          glibc      malloc         2G            3    999ns   1.00us   1.00us   1.00us\n" +
            "   4242 myprog          glibc      mmap           1M           12   6.91us   12.0us   12.0us   12.0us\n" +
            "\n";
        Assert.Equal(expected, output.ToString());
        Assert.All(output.ToString().Split('\n'), line => Assert.True(line.Length <= 110, $"line too wide ({line.Length}): {line}"));
    }

    [Fact]
    public void GcPauses_ShowTheRuntimeAndTheMeasurementInPlaceOfAllocatorAndOp()
    {
        var pause = new SeriesSnapshot("gc_pause",
            [new("comm", "gogc"), new("pid", "960"), new("runtime", "go")],
            new LatencyStats(7, 0, 30_000, 500_000, 571_000, 900_000, 3_480_000, 3_480_000, 3_480_000, 3_480_000));
        var text = new ConsoleTableSink(TextWriter.Null).Render(new IntervalSnapshot(0, 1_000_000_000, "h", [pause], default));
        var row = Assert.Single(text.Split('\n'), l => l.Contains("gogc"));
        Assert.Matches(@"^\s*960 gogc\s+go\s+gc_pause\s+-\s+7\s+571us\s+3\.48ms\s+3\.48ms\s+3\.48ms$", row.TrimEnd());
    }

    [Fact]
    public void EventsPerSecond_UsesTheIntervalLength()
    {
        var sink = new ConsoleTableSink(TextWriter.Null, timeZone: TimeZoneInfo.Utc);
        var text = sink.Render(new IntervalSnapshot(0, 500_000_000, "h", [], new CollectorStats(1000, 0, 0, 0)));
        Assert.Equal("00:00:00  events/s 2000  lost 0  inflight drops 0  sink drops 0  series 0\n  (no call measured in this interval)\n\n", text);
    }

    [Fact]
    public void HostileNames_CannotBreakTheTable_AndLongOnesAreCut()
    {
        var sink = new ConsoleTableSink(TextWriter.Null, timeZone: TimeZoneInfo.Utc);
        var text = sink.Render(new IntervalSnapshot(0, 1_000_000_000, "h",
            [TestData.Series(1, "evil\nname\tx", "libverylongallocator", "posix_memalign", "512B", Stats(1, 1, 1, 1, 1))], default));
        var lines = text.Split('\n');
        Assert.Equal(5, lines.Length);
        Assert.Equal("      1 evil?name?x     libverylo~ posix_memalign 512B          1      1ns      1ns      1ns      1ns", lines[2]);
    }

    [Fact]
    public void MaxRows_LimitsTheListing_AndSaysHowManyWereLeftOut()
    {
        var sink = new ConsoleTableSink(TextWriter.Null, maxRows: 2, timeZone: TimeZoneInfo.Utc);
        var text = sink.Render(TestData.Snapshot(1_000_000_000, "h", 5, 0));
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("   4000 proc0", lines[2]);
        Assert.StartsWith("   4001 proc1", lines[3]);
        Assert.Equal("  ... 3 more series", lines[4]);
    }
}
