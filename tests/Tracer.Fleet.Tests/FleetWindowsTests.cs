using HdrHistogram;
using System.Buffers;
using System.Text;
using Tracer.Aggregation;
using Tracer.Core;
using Tracer.Sinks;

namespace Tracer.Fleet.Tests;

public class FleetWindowsTests
{
    private const long Second = 1_000_000_000;
    private static readonly long T0 = 1_796_000_000 * Second;

    internal static HistogramMessage Message(string host, long seq, long endNs, int pid, params long[] latencies)
    {
        var h = LatencyHistograms.Create();
        foreach (var l in latencies)
            h.RecordValue(l);
        KeyValuePair<string, string>[] tags = [new("allocator", "kernel"), new("comm", "nginx"), new("op", "mmap"), new("pid", pid.ToString()), new("size_class", "1M")];
        return new HistogramMessage(host, seq, endNs - Second, endNs, "alloc_latency", tags, h.TotalCount, 1 << 20, new HistogramEncoder().Encode(h));
    }

    [Fact]
    public void OneSeriesOfThreeHostsIsMergedIntoOneWindowWithItsHostCount()
    {
        var w = new FleetWindows(TimeSpan.FromSeconds(1), latenessIntervals: 2);
        Assert.Equal(MergeOutcome.Merged, w.Add(Message("a", 1, T0 + Second, 10, 1000, 2000), 0));
        Assert.Equal(MergeOutcome.Merged, w.Add(Message("b", 7, T0 + Second, 11, 3000), 1));
        Assert.Equal(MergeOutcome.Merged, w.Add(Message("b", 7, T0 + Second, 12, 4000), 2));
        // A last, partial interval ends off the boundary: it belongs to the window that contains its end.
        Assert.Equal(MergeOutcome.Merged, w.Add(Message("c", 3, T0 + Second / 2, 13, 5000), 3));
        Assert.Equal(1, w.OpenCount);
        Assert.Equal(0, w.FirstOpenOffset);
        Assert.Empty(w.TakeClosed());

        w.AdvanceTo(T0 + 3 * Second);
        var window = Assert.Single(w.TakeClosed());
        Assert.Equal(T0 + Second, window.EndUnixNs);
        var series = Assert.Single(window.Series);
        Assert.Equal(5, series.Histogram.TotalCount);
        Assert.Equal(3, series.Hosts);
        Assert.DoesNotContain(series.Tags, t => t.Key is "pid" or "host");
        Assert.Null(w.FirstOpenOffset);
    }

    [Fact]
    public void AMessageReadTwiceIsCountedOnce()
    {
        var w = new FleetWindows(TimeSpan.FromSeconds(1), 2);
        var m = Message("a", 4, T0 + Second, 10, 1000);
        Assert.Equal(MergeOutcome.Merged, w.Add(m, 5));
        Assert.Equal(MergeOutcome.Duplicate, w.Add(m, 9));
        w.AdvanceTo(T0 + 10 * Second);
        Assert.Equal(1, Assert.Single(Assert.Single(w.TakeClosed()).Series).Histogram.TotalCount);
    }

    [Fact]
    public void DataLaterThanTheLatenessIsLateAndNotMerged()
    {
        var w = new FleetWindows(TimeSpan.FromSeconds(1), 2);
        w.Add(Message("a", 1, T0 + Second, 10, 1000), 0);
        // Another host's interval two windows on moves the watermark: the first window closes.
        w.Add(Message("b", 1, T0 + 3 * Second, 10, 1000), 1);
        Assert.Equal(T0 + Second, Assert.Single(w.TakeClosed()).EndUnixNs);
        Assert.Equal(MergeOutcome.Late, w.Add(Message("c", 1, T0 + Second, 10, 1000), 2));
        Assert.Equal(MergeOutcome.Merged, w.Add(Message("c", 2, T0 + 2 * Second, 10, 1000), 3));
        Assert.Equal(1, w.FirstOpenOffset);
    }

    [Fact]
    public void AReaderStartingFromAWatermarkTreatsWrittenWindowsAsClosed()
    {
        var restored = new FleetWindows(TimeSpan.FromSeconds(1), 2, watermarkUnixNs: T0 + 3 * Second);
        Assert.Equal(MergeOutcome.Late, restored.Add(Message("a", 1, T0 + Second, 10, 1000), 0));
        Assert.Equal(MergeOutcome.Merged, restored.Add(Message("a", 2, T0 + 2 * Second, 10, 1000), 1));
    }

    [Fact]
    public void FleetPointsCarryTheMergedPercentilesAndNoHostTag()
    {
        var w = FleetWindows.Unbounded(TimeSpan.FromSeconds(1));
        w.Add(Message("a", 1, T0 + Second, 10, Enumerable.Range(1, 999).Select(i => (long)i * 1000).ToArray()), 0);
        w.Add(Message("b", 1, T0 + Second, 10, 50_000_000), 1);
        var hosts = new List<int>();
        var snapshot = FleetPoints.ToSnapshot(Assert.Single(w.TakeAll()), hosts);
        var buffer = new ArrayBufferWriter<byte>();
        FleetPoints.Write(snapshot, hosts, buffer);
        string line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        var stats = snapshot.Series[0].Stats;
        Assert.Equal(1000, stats.Count);
        Assert.Equal(LatencyHistograms.Create().HighestEquivalentValue(999_000), stats.P999);
        Assert.Equal(LatencyHistograms.Create().HighestEquivalentValue(50_000_000), stats.Max);
        Assert.StartsWith("alloc_latency_fleet,allocator=kernel,comm=nginx,op=mmap,size_class=1M count=1000i,", line);
        Assert.EndsWith($",hosts=2i {T0 + Second}\n", line);
        Assert.DoesNotContain("host=", line);
    }
}

public class HistogramMessageFormatTests
{
    [Fact]
    public void AMessageRoundTrips()
    {
        var m = FleetWindowsTests.Message("web-1", 42, 1_796_000_001_000_000_000, 4242, 1000, 5000);
        var json = HistogramMessageFormat.Serialize(m);
        var back = HistogramMessageFormat.Parse(json);
        Assert.Equal(m.Host, back.Host);
        Assert.Equal(m.Sequence, back.Sequence);
        Assert.Equal(m.StartUnixNs, back.StartUnixNs);
        Assert.Equal(m.EndUnixNs, back.EndUnixNs);
        Assert.Equal(m.Tags, back.Tags);
        Assert.Equal(m.Histogram, back.Histogram);
        Assert.Equal("alloc_latency,allocator=kernel,comm=nginx,op=mmap,size_class=1M", back.FleetKey);
        Assert.StartsWith("{\"version\":1,\"host\":\"web-1\",\"sequence\":42,", Encoding.UTF8.GetString(json));
    }

    [Fact]
    public void UnknownFieldsAreIgnoredAndOtherVersionsRefused()
    {
        var json = Encoding.UTF8.GetString(HistogramMessageFormat.Serialize(FleetWindowsTests.Message("a", 1, 2_000_000_000, 1, 10)));
        Assert.Equal("a", HistogramMessageFormat.Parse(Encoding.UTF8.GetBytes(json.Replace("{\"version\":1,", "{\"version\":1,\"future\":[1,2],"))).Host);
        var e = Assert.Throws<FormatException>(() => HistogramMessageFormat.Parse(Encoding.UTF8.GetBytes(json.Replace("\"version\":1", "\"version\":2"))));
        Assert.Equal("fleet message version 2 is not supported (this alloclat reads version 1)", e.Message);
        Assert.Equal("fleet message without 'host' (string)",
            Assert.Throws<FormatException>(() => HistogramMessageFormat.Parse(Encoding.UTF8.GetBytes(json.Replace("\"host\"", "\"hostname\"")))).Message);
        Assert.Throws<FormatException>(() => HistogramMessageFormat.Parse("not json"u8.ToArray()));
    }
}

public class HistogramLinesTests
{
    [Fact]
    public void HistogramLinesAreReadBackWithEscapedTags()
    {
        var h = LatencyHistograms.Create();
        h.RecordValue(12_345);
        var bytes = new HistogramEncoder().Encode(h);
        KeyValuePair<string, string>[] tags = [new("allocator", "kernel"), new("comm", "my prog,x=1"), new("op", "mmap"), new("pid", "7"), new("size_class", "1M")];
        var snapshot = new IntervalSnapshot(1_000, 2_000_000_000, "web 1", [new SeriesSnapshot("alloc_latency", tags, HistogramStats.Summarize(h, 99), bytes)], default) { Sequence = 5 };
        var buffer = new ArrayBufferWriter<byte>();
        HistogramLines.Write(snapshot, buffer);
        var m = HistogramLineReader.Parse(Encoding.UTF8.GetString(buffer.WrittenSpan).TrimEnd('\n'));
        Assert.Equal("web 1", m.Host);
        Assert.Equal(5, m.Sequence);
        Assert.Equal(1_000, m.StartUnixNs);
        Assert.Equal(2_000_000_000, m.EndUnixNs);
        Assert.Equal("my prog,x=1", m.Tag("comm"));
        Assert.Equal(99, m.Bytes);
        Assert.Equal(bytes, m.Histogram);
        Assert.Equal("alloc_latency", m.Measurement);
    }
}
