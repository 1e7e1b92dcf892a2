using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using Tracer.Core;

namespace Tracer.Sinks.Tests;

public class LineProtocolTests
{
    private const string GoldenFile = "nasty_names.golden.txt";

    [Fact]
    public void NastyNames_MatchGoldenFile()
    {
        var text = LineProtocol.Format(TestData.NastySnapshot(TestData.GoldenTimestamp, "web-1"))
            + LineProtocol.Format(OddNamesSnapshot());
        var golden = ReadGolden(text);
        Assert.Equal(golden, text);
        Assert.Equal(TestData.NastyNames.Length + 4, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void SchemaExample_IsReproducedExactly()
    {
        var snapshot = new IntervalSnapshot(1795425599000000000, 1795425600000000000, "web-1",
            [TestData.Series(4242, "myprog", "glibc", "malloc", "1M", new LatencyStats(12, 12582912, 5120, 7300, 6911, 9215, 12031, 12031, 12031, 12031))],
            new CollectorStats(5120, 0, 0, 0));
        Assert.Equal(
            "alloc_latency,allocator=glibc,comm=myprog,host=web-1,op=malloc,pid=4242,size_class=1M count=12i,bytes=12582912i,min=5120i,mean=7300i,p50=6911i,p90=9215i,p99=12031i,p999=12031i,p9999=12031i,max=12031i 1795425600000000000\n"
            + "alloclat_stats,host=web-1 events=5120i,lost=0i,inflight_dropped=0i,sink_dropped=0i 1795425600000000000\n",
            LineProtocol.Format(snapshot));
    }

    [Fact]
    public void Tags_AreSortedByKey_WithHostMergedIn_WhateverTheInputOrder()
    {
        var series = new SeriesSnapshot("gc_pause",
            [new("zone", "z"), new("pid", "7"), new("a", "1"), new("host", "ignored"), new("kind", "gen2")],
            new LatencyStats(1, 0, 2, 2, 2, 2, 2, 2, 2, 2));
        var text = LineProtocol.Format(new IntervalSnapshot(0, 10, "h", [series], default));
        Assert.StartsWith("gc_pause,a=1,host=h,kind=gen2,pid=7,zone=z count=1i,", text);
    }

    [Theory]
    [InlineData("", "-")]
    [InlineData("a b", "a\\ b")]
    [InlineData("a,b", "a\\,b")]
    [InlineData("a=b", "a\\=b")]
    [InlineData("a\\b", "a\\b")]
    [InlineData("a\\", "a?")]
    [InlineData("a\\\\b", "a?\\b")]
    [InlineData("a\\,b", "a?\\,b")]
    [InlineData("a\\ b", "a?\\ b")]
    [InlineData("a\\=b", "a?\\=b")]
    [InlineData("\\\\\\", "???")]
    [InlineData("a\nb\tc\rd\u001be", "a?b?c?d?e")]
    [InlineData("\u0080\u009f", "??")]
    [InlineData("\"quoted\"", "\"quoted\"")]
    [InlineData("日本🚀", "日本🚀")]
    public void TagValue_IsEscapedPerRules(string raw, string expected)
    {
        var series = new SeriesSnapshot("m", [new("comm", raw)], default);
        var text = LineProtocol.Format(new IntervalSnapshot(0, 5, "h", [series], default));
        Assert.StartsWith($"m,comm={expected},host=h count=0i,", text);
    }

    [Fact]
    public void LoneSurrogate_BecomesReplacementCharacter()
    {
        // Built in code: xunit cannot carry a lone surrogate through InlineData.
        var series = new SeriesSnapshot("m", [new("comm", "x" + (char)0xDC00 + "y" + (char)0xD800)], default);
        var text = LineProtocol.Format(new IntervalSnapshot(0, 5, "h", [series], default));
        Assert.StartsWith("m,comm=x\ufffdy\ufffd,host=h count=0i,", text);
    }

    [Fact]
    public void MeasurementAndKeys_AreEscapedForTheirPosition()
    {
        var series = new SeriesSnapshot("gc pause,x=1", [new("we ird,key=", "v")], default);
        var text = LineProtocol.Format(new IntervalSnapshot(0, 5, "my host", [series], default));
        // Measurements escape comma and space only; '=' is literal there. Keys also escape '='.
        Assert.StartsWith("gc\\ pause\\,x=1,host=my\\ host,we\\ ird\\,key\\==v count=0i,", text);
    }

    [Fact]
    public void StatsPoint_IsWrittenEvenWithoutSeries_AtIntervalEnd()
    {
        var text = LineProtocol.Format(new IntervalSnapshot(100, 200, "", [], new CollectorStats(1, 2, 3, 4)));
        Assert.Equal("alloclat_stats,host=- events=1i,lost=2i,inflight_dropped=3i,sink_dropped=4i 200\n", text);
    }

    [Fact]
    public void NegativeAndExtremeIntegers_AreFormattedInvariantly()
    {
        var series = new SeriesSnapshot("m", [], new LatencyStats(long.MaxValue, long.MinValue, -1, 0, 1, 2, 3, 4, 5, 6));
        var text = LineProtocol.Format(new IntervalSnapshot(0, -5, "h", [series], default));
        Assert.StartsWith("m,host=h count=9223372036854775807i,bytes=-9223372036854775808i,min=-1i,mean=0i,p50=1i,", text);
        Assert.Contains("max=6i -5\n", text);
    }

    [Fact]
    public void Write_DoesNotAllocate_ForPlainNames()
    {
        var snapshot = TestData.Snapshot(TestData.GoldenTimestamp, "web-1", 50, 3);
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        LineProtocol.Write(snapshot, buffer);
        buffer.ResetWrittenCount();

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            buffer.ResetWrittenCount();
            LineProtocol.Write(snapshot, buffer);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(LineProtocol.Format(snapshot), Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static IntervalSnapshot OddNamesSnapshot()
    {
        var weirdKeys = new SeriesSnapshot("alloc_latency",
            [new("pid", "1"), new("we ird,key=", "v"), new("", "empty key"), new("comm", "x")],
            TestData.Stats(99));
        var weirdMeasurement = new SeriesSnapshot("gc pause,x=1\\", [new("pid", "2")], TestData.Stats(98));
        return new IntervalSnapshot(TestData.GoldenTimestamp, TestData.GoldenTimestamp + 1, "host name,with=odd\\chars",
            [weirdKeys, weirdMeasurement], new CollectorStats(1, 2, 3, 4));
    }

    private static string ReadGolden(string actual, [CallerFilePath] string sourceFile = "")
    {
        // ALLOCLAT_UPDATE_GOLDEN=1 rewrites the checked-in file from the current output; review the diff.
        if (Environment.GetEnvironmentVariable("ALLOCLAT_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(sourceFile)!, "golden", GoldenFile), Encoding.UTF8.GetBytes(actual));
            return actual;
        }
        var path = Path.Combine(AppContext.BaseDirectory, "golden", GoldenFile);
        Assert.True(File.Exists(path), $"golden file {path} is missing");
        return Encoding.UTF8.GetString(File.ReadAllBytes(path));
    }
}
