using Tracer.TestSupport;
using static Tracer.Sinks.Tests.RealDb;

namespace Tracer.Sinks.Tests;

/// <summary>InfluxDB 1.6 killed and restarted while the tracer keeps writing.</summary>
public class InfluxDb1OutageTests
{
    private const int SeriesPerSnapshot = 3;

    [Fact]
    public async Task Outage_EveryQueuedPointArrives_OnceTheServerIsBack()
    {
        await using var influx = new InfluxDb1Fixture();
        await influx.StartAsync();
        string database = TestData.UniqueName("outage");
        var log = new CapturingWriter();
        var sink = new InfluxSink(Fast(InfluxWriterOptions.ForV1(influx.Url, database)), log);
        Assert.True((await sink.PingAsync()).Ok);

        long start = TestData.NowNs(-300);
        int written = 0;
        long dropped = 0;
        async Task WriteAsync(int count)
        {
            for (int i = 0; i < count; i++, written++)
            {
                await sink.WriteAsync(TestData.Snapshot(start + written * 1_000_000_000L, "outage", SeriesPerSnapshot, written), CancellationToken.None);
                dropped += sink.TakeDropped();
                await Task.Delay(20);
            }
        }

        await WriteAsync(10);
        Assert.True(await sink.Writer.FlushAsync(Patience));
        influx.Stop();
        await WriteAsync(10);
        await Wait.UntilAsync(() => log.Text.Contains("failed"), Patience, "the writer to notice the outage");
        await WriteAsync(10);
        Assert.True(sink.Writer.QueuedLines > 0);
        await influx.StartAsync();
        await WriteAsync(10);
        Assert.True(await sink.Writer.FlushAsync(Patience), log.Text);
        await sink.DisposeAsync();
        dropped += sink.TakeDropped();

        Assert.Equal(0, dropped);
        Assert.Equal(0, sink.Writer.DroppedLines);
        Assert.Equal(0, sink.Writer.UnsentAtShutdown);
        var counts = Assert.Single(await influx.QueryAsync(database, "SELECT COUNT(count) FROM alloc_latency")).Rows;
        Assert.Equal((long)written * SeriesPerSnapshot, Assert.Single(counts)["count"]);
        var stats = Assert.Single(await influx.QueryAsync(database, "SELECT events FROM alloclat_stats")).Rows;
        Assert.Equal(Enumerable.Range(0, written).Select(i => start + i * 1_000_000_000L), stats.Select(r => (long)r["time"]!));
        Assert.Equal(Enumerable.Range(0, written).Select(i => 1000L + i), stats.Select(r => (long)r["events"]!));
        Assert.Contains(log.Lines, l => l.Contains("succeeded after"));
    }

    [Fact]
    public async Task Outage_WithATinyQueue_DropsTheOldestExactly_AndTheNewestSurvive()
    {
        await using var influx = new InfluxDb1Fixture();
        await influx.StartAsync();
        string database = TestData.UniqueName("tiny");
        var log = new CapturingWriter();
        var sink = new InfluxSink(Fast(InfluxWriterOptions.ForV1(influx.Url, database)) with { QueueCapacity = 20 }, log);
        Assert.True((await sink.PingAsync()).Ok);
        influx.Stop();

        const int snapshots = 50;
        long start = TestData.NowNs(-300);
        long dropped = 0;
        for (int i = 0; i < snapshots; i++)
        {
            // One series plus alloclat_stats: two lines per interval, 100 in all for a queue of 20.
            await sink.WriteAsync(TestData.Snapshot(start + i * 1_000_000_000L, "tiny", 1, i), CancellationToken.None);
            dropped += sink.TakeDropped();
            await Task.Delay(5);
        }
        await Wait.UntilAsync(() => sink.Writer.DroppedLines == 80 && sink.Writer.QueuedLines == 20, Patience,
            "the queue to settle at its capacity");
        await influx.StartAsync();
        Assert.True(await sink.Writer.FlushAsync(Patience), log.Text);
        await sink.DisposeAsync();
        dropped += sink.TakeDropped();

        Assert.Equal(80, dropped);
        Assert.Equal(80, sink.Writer.DroppedLines);
        Assert.Equal(20, sink.Writer.SentLines);
        var newest = Enumerable.Range(snapshots - 10, 10).Select(i => start + i * 1_000_000_000L).ToList();
        var latency = Assert.Single(await influx.QueryAsync(database, "SELECT * FROM alloc_latency")).Rows;
        Assert.Equal(newest, latency.Select(r => (long)r["time"]!));
        Assert.Equal(Enumerable.Range(snapshots - 10, 10).Select(i => 10L + i * 100), latency.Select(r => (long)r["count"]!));
        var stats = Assert.Single(await influx.QueryAsync(database, "SELECT * FROM alloclat_stats")).Rows;
        Assert.Equal(newest, stats.Select(r => (long)r["time"]!));
        Assert.Contains(log.Lines, l => l.Contains("queue full (20 points)", StringComparison.Ordinal));
    }
}
