using Tracer.Core;
using Tracer.TestSupport;
using static Tracer.Sinks.Tests.RealDb;

namespace Tracer.Sinks.Tests;

/// <summary>Points written to a real InfluxDB 1.6 through the v1 API and read back with InfluxQL.</summary>
public class InfluxDb1Tests(InfluxDb1Fixture influx) : IClassFixture<InfluxDb1Fixture>
{
    private InfluxSink NewSink(string database, CapturingWriter log) => new(Fast(InfluxWriterOptions.ForV1(influx.Url, database)), log);

    [Fact]
    public async Task NastyProcessNames_ComeBackUnchanged_ExceptTheDocumentedReplacements()
    {
        string database = TestData.UniqueName("nasty");
        var log = new CapturingWriter();
        var sink = NewSink(database, log);
        var ping = await sink.PingAsync();
        Assert.True(ping.Ok, ping.Message);
        Assert.True(ping.DatabaseEnsured);

        var snapshot = TestData.NastySnapshot(TestData.NowNs(), "nasty-host");
        await sink.WriteAsync(snapshot, CancellationToken.None);
        Assert.True(await sink.Writer.FlushAsync(Patience), log.Text);
        await sink.DisposeAsync();
        Assert.Equal(0, sink.Writer.DroppedLines);

        var rows = Assert.Single(await influx.QueryAsync(database, "SELECT * FROM alloc_latency")).Rows;
        Assert.Equal(TestData.NastyNames.Length, rows.Count);
        var byPid = rows.ToDictionary(r => (string)r["pid"]!);
        for (int i = 0; i < TestData.NastyNames.Length; i++)
        {
            var row = byPid[Pid(1000 + i)];
            Assert.Equal(TestData.NastyNames[i].Stored, (string?)row["comm"]);
            Assert.Equal("nasty-host", row["host"]);
            Assert.Equal(snapshot.EndUnixNs, row["time"]);
            Assert.Equal(10L + i, row["count"]);
        }
        var stats = Assert.Single(Assert.Single(await influx.QueryAsync(database, "SELECT * FROM alloclat_stats")).Rows);
        Assert.Equal(123L, stats["events"]);
    }

    [Fact]
    public async Task Snapshots_RoundTrip_EveryTagAndField()
    {
        string database = TestData.UniqueName("roundtrip");
        var log = new CapturingWriter();
        var sink = NewSink(database, log);
        Assert.True((await sink.PingAsync()).Ok);
        long start = TestData.NowNs(-30);
        var snapshots = Enumerable.Range(0, 3).Select(i => TestData.Snapshot(start + i * 1_000_000_000L, "web-1", 6, i)).ToList();
        foreach (var s in snapshots)
            await sink.WriteAsync(s, CancellationToken.None);
        Assert.True(await sink.Writer.FlushAsync(Patience), log.Text);
        await sink.DisposeAsync();

        var series = Assert.Single(await influx.QueryAsync(database, "SELECT * FROM alloc_latency"));
        Assert.Equal(["time", "allocator", "bytes", "comm", "count", "host", "max", "mean", "min", "op", "p50", "p90", "p99", "p999", "p9999", "pid", "size_class"],
            series.Columns);
        var rows = series.Rows.ToDictionary(r => ((long)r["time"]!, (string)r["pid"]!));
        Assert.Equal(18, rows.Count);
        foreach (var snapshot in snapshots)
        {
            foreach (var s in snapshot.Series)
            {
                var row = rows[(snapshot.EndUnixNs, s.Tag("pid")!)];
                foreach (var tag in s.Tags)
                    Assert.Equal(tag.Value, row[tag.Key]);
                Assert.Equal("web-1", row["host"]);
                foreach (var (field, value) in Fields(s.Stats))
                    Assert.Equal(value, row[field]);
            }
        }

        var statRows = Assert.Single(await influx.QueryAsync(database, "SELECT * FROM alloclat_stats")).Rows;
        Assert.Equal(snapshots.Select(s => s.EndUnixNs), statRows.Select(r => (long)r["time"]!));
        foreach (var (snapshot, row) in snapshots.Zip(statRows))
        {
            Assert.Equal("web-1", row["host"]);
            foreach (var (field, value) in Fields(snapshot.Stats))
                Assert.Equal(value, row[field]);
        }
    }

    [Fact]
    public async Task PartialWrite_CountsOnlyThePointInfluxDbRejected()
    {
        string database = TestData.UniqueName("partial");
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(Fast(InfluxWriterOptions.ForV1(influx.Url, database)), log);
        Assert.True((await writer.PingAsync()).Ok);
        writer.Write("m,pid=1 count=1i 1000\n");
        Assert.True(await writer.FlushAsync(Patience));
        writer.Write("m,pid=2 count=2.5 2000\nm,pid=3 count=3i 3000\n");
        Assert.True(await writer.FlushAsync(Patience));

        Assert.True(writer.TakeDropped() == 1, log.Text);
        Assert.Equal(2, writer.SentLines);
        var rows = Assert.Single(await influx.QueryAsync(database, "SELECT * FROM m")).Rows;
        Assert.Equal(["1", "3"], rows.Select(r => (string)r["pid"]!));
        Assert.Single(log.Lines, l => l.Contains("partial write: field type conflict") && l.Contains("dropped=1"));
    }

    [Fact]
    public async Task ConflictInsideOneBatch_IsRejectedWhole_AndCountedWhole()
    {
        string database = TestData.UniqueName("conflict");
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(Fast(InfluxWriterOptions.ForV1(influx.Url, database)), log);
        Assert.True((await writer.PingAsync()).Ok);
        writer.Write("n,pid=1 count=1i 1000\nn,pid=2 count=2.5 2000\nn,pid=3 count=3i 3000\n");
        Assert.True(await writer.FlushAsync(Patience));

        Assert.True(writer.TakeDropped() == 3, log.Text);
        Assert.Equal(0, writer.SentLines);
        Assert.Empty(await influx.QueryAsync(database, "SELECT * FROM n"));
    }

    [Fact]
    public async Task MissingDatabase_WithCreationOff_IsAFatalErrorNamingIt_AndPointsAreKept()
    {
        string database = TestData.UniqueName("absent");
        var options = Fast(InfluxWriterOptions.ForV1(influx.Url, database)) with { FlushTimeout = TimeSpan.Zero, CreateDatabase = false };
        var writer = new InfluxWriter(options, new CapturingWriter());
        writer.Write("m,pid=1 count=1i 1000\n");
        await Wait.UntilAsync(() => writer.FatalError is not null, Patience, "the fatal state");

        Assert.Equal(InfluxFatalKind.NotFound, writer.FatalError!.Kind);
        Assert.Equal($"InfluxDB database \"{database}\" not found (404): database not found: \"{database}\"; "
            + $"create it (CREATE DATABASE \"{database}\") or fix the database name", writer.FatalError.Message);
        Assert.Equal(1, writer.QueuedLines);
        await writer.DisposeAsync();
        Assert.Equal(1, writer.UnsentAtShutdown);
    }

    [Fact]
    public async Task MissingDatabase_FoundByAWrite_IsCreatedAndThePointsArrive()
    {
        // The server was down when the writer started (no ping created the database), or the database was dropped.
        string database = TestData.UniqueName("late");
        var log = new CapturingWriter();
        var writer = new InfluxWriter(Fast(InfluxWriterOptions.ForV1(influx.Url, database)), log);
        writer.Write("m,pid=1 count=1i 1000\nm,pid=2 count=2i 1000\n");
        Assert.True(await writer.FlushAsync(Patience));
        await writer.DisposeAsync();

        Assert.Null(writer.FatalError);
        Assert.Equal(2, writer.SentLines);
        Assert.Contains($"InfluxDB database \"{database}\" did not exist and was created", log.Text);
        var rows = Assert.Single(await influx.QueryAsync(database, "SELECT count FROM m")).Values;
        Assert.Equal(2, rows.Count);
    }

    [Fact]
    public async Task Ping_CreatesTheDatabase_Idempotently()
    {
        string database = TestData.UniqueName("fresh");
        await using var writer = new InfluxWriter(Fast(InfluxWriterOptions.ForV1(influx.Url, database)), new CapturingWriter());
        var first = await writer.PingAsync();
        var second = await writer.PingAsync();

        Assert.True(first.Ok && second.Ok, first.Message + " / " + second.Message);
        Assert.StartsWith("1.6", first.ServerVersion);
        var names = Assert.Single(await influx.QueryAsync(null, "SHOW DATABASES")).Values.Select(v => (string)v[0]!);
        Assert.Contains(database, names);
    }
}
