using System.Globalization;
using System.Text.Json;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>
/// A traced run writes to a real InfluxDB 1.6 and a real VictoriaMetrics on loopback (started here, stopped here);
/// every point read back must equal the one the collector wrote to its line-protocol file.
/// </summary>
public class DatabaseTests
{
    private static readonly string[] s_fields = ["count", "bytes", "min", "mean", "p50", "p90", "p99", "p999", "p9999", "max"];

    private static long AsLong(object? v) => v switch
    {
        long l => l,
        int i => i,
        double d => (long)d,
        JsonElement { ValueKind: JsonValueKind.Number } e => e.TryGetInt64(out long l) ? l : (long)e.GetDouble(),
        JsonElement { ValueKind: JsonValueKind.String } e => long.Parse(e.GetString()!, CultureInfo.InvariantCulture),
        string s => long.Parse(s, CultureInfo.InvariantCulture),
        _ => throw new InvalidCastException($"not a number: {v} ({v?.GetType()})"),
    };

    private static string AsString(object? v) => v is JsonElement e ? e.ToString() : v?.ToString() ?? "";

    private static string Key(IReadOnlyDictionary<string, string> tags, long ts) =>
        string.Join(",", tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}")) + "@" + ts;

    [Fact]
    public async Task EveryPointOfATracedRunIsReadBackFromInfluxDb1()
    {
        await using var db = new InfluxDb1Fixture();
        await db.StartAsync();
        string output = Cli.TempOutput();
        var r = Cli.Run(["record", "-q", "-o", output, "--interval", "500ms", "--influx-url", db.Url.ToString().TrimEnd('/'), "--influx-db", "alloclat",
            "--", Cli.Workload("alloc_workload"), "20", "3", "0"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var written = LineProtocolFile.Read(output);

        var series = await db.QueryAsync("alloclat", "SELECT * FROM alloc_latency");
        var rows = series.SelectMany(s => s.Rows).ToList();
        var expected = written.Where(p => p.Measurement == "alloc_latency").ToList();
        Assert.Equal(expected.Count, rows.Count);
        var byKey = rows.ToDictionary(row =>
            Key(new[] { "allocator", "comm", "host", "op", "pid", "size_class" }.ToDictionary(t => t, t => AsString(row[t])), AsLong(row["time"])));
        foreach (var p in expected)
        {
            var row = byKey[Key(p.Tags, p.Timestamp)];
            foreach (var f in s_fields)
                Assert.Equal(p[f], AsLong(row[f]));
        }
        Assert.Equal(100, expected.Where(p => p.Tag("op") == "mmap" && p.Tag("size_class") == "1M").Sum(p => p["count"]));

        var stats = (await db.QueryAsync("alloclat", "SELECT events, lost, inflight_dropped, sink_dropped FROM alloclat_stats")).SelectMany(s => s.Rows).ToList();
        Assert.Equal(written.Count(p => p.Measurement == "alloclat_stats"), stats.Count);
        Assert.Equal(written.Where(p => p.Measurement == "alloclat_stats").Sum(p => p["events"]), stats.Sum(s => AsLong(s["events"])));
    }

    [Fact]
    public async Task EveryPointOfATracedRunIsReadBackFromVictoriaMetricsThroughTheV2Api()
    {
        await using var vm = new VictoriaMetricsFixture();
        await vm.StartAsync();
        string output = Cli.TempOutput();
        var r = Cli.Run(["record", "-q", "-o", output, "--interval", "500ms", "--influx-url", vm.Url.ToString().TrimEnd('/'),
            "--influx-org", "alloclat-org", "--influx-bucket", "alloclat", "--", Cli.Workload("alloc_workload"), "20", "3", "0"],
            env: new Dictionary<string, string> { ["ALLOCLAT_INFLUX_TOKEN"] = "test-token" });
        Assert.True(r.ExitCode == 0, r.ToString());
        var expected = LineProtocolFile.Read(output).Where(p => p.Measurement == "alloc_latency").ToList();
        Assert.NotEmpty(expected);

        foreach (var field in s_fields)
        {
            // A new series becomes searchable a moment after it is written, even after a flush.
            IReadOnlyList<VmSeries> exported = [];
            await Wait.UntilAsync(async () => (exported = await vm.ExportAsync($"{{__name__=\"alloc_latency_{field}\"}}")).Sum(x => x.Values.Count) >= expected.Count,
                TimeSpan.FromSeconds(20), $"{expected.Count} alloc_latency_{field} points", TimeSpan.FromMilliseconds(200));
            var values = new Dictionary<string, double>();
            foreach (var s in exported)
            {
                var tags = s.Labels.Where(l => l.Key is "allocator" or "comm" or "host" or "op" or "pid" or "size_class").ToDictionary(l => l.Key, l => l.Value);
                for (int i = 0; i < s.Values.Count; i++)
                    values[Key(tags, s.TimestampsMs[i])] = s.Values[i];
            }
            Assert.Equal(expected.Count, values.Count);
            // VictoriaMetrics keeps milliseconds: the point's timestamp is the interval end in nanoseconds.
            foreach (var p in expected)
                Assert.Equal(p[field], (long)values[Key(p.Tags, p.Timestamp / 1_000_000)]);
        }
    }

    [Fact]
    public async Task KillingTheDatabaseMidRunLosesNoPoint()
    {
        await using var db = new InfluxDb1Fixture();
        await db.StartAsync();
        string output = Cli.TempOutput();
        var run = Cli.Start(["record", "-q", "-o", output, "--interval", "250ms", "--influx-url", db.Url.ToString().TrimEnd('/'), "--influx-db", "alloclat",
            "--", Cli.Demo, "7"]);
        await Task.Delay(1500);
        db.Stop();
        // The database comes back only once more points than the queue holds were written while it was down (the
        // file gets every point the queue gets), however long start-up took on a busy machine.
        Cli.WaitUntilTracing(run);
        WaitForLines(output, 25, TimeSpan.FromSeconds(30));
        await db.StartAsync();
        var r = Cli.Wait(run, TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, r.ToString());

        var written = LineProtocolFile.Read(output);
        var stats = written.Where(p => p.Measurement == "alloclat_stats").ToList();
        Assert.True(stats.Count >= 20, $"only {stats.Count} intervals in a 7 s run at 250 ms");
        // The collector kept tracing while the database was down, queued those intervals and sent them after.
        Assert.All(stats, s => Assert.Equal(0, s["sink_dropped"]));
        var readBack = (await db.QueryAsync("alloclat", "SELECT count FROM alloc_latency")).SelectMany(s => s.Rows).ToList();
        Assert.Equal(written.Count(p => p.Measurement == "alloc_latency"), readBack.Count);
        Assert.Equal(written.Where(p => p.Measurement == "alloc_latency").Sum(p => p["count"]), readBack.Sum(row => AsLong(row["count"])));
        var statsBack = (await db.QueryAsync("alloclat", "SELECT events FROM alloclat_stats")).SelectMany(s => s.Rows).ToList();
        Assert.Equal(stats.Count, statsBack.Count);
    }

    [Fact]
    public async Task AFullQueueDropsTheOldestPointsAndSaysHowMany()
    {
        await using var db = new InfluxDb1Fixture();
        await db.StartAsync();
        db.Stop();
        string output = Cli.TempOutput();
        var run = Cli.Start(["record", "-q", "-o", output, "--interval", "250ms", "--influx-queue", "10", "--influx-url", db.Url.ToString().TrimEnd('/'),
            "--influx-db", "alloclat", "--", Cli.Demo, "4"]);
        // The database comes back only once more points than the queue holds were written while it was down (the
        // file gets every point the queue gets), however long start-up took on a busy machine.
        Cli.WaitUntilTracing(run);
        WaitForLines(output, 25, TimeSpan.FromSeconds(30));
        await db.StartAsync();
        var r = Cli.Wait(run, TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, r.ToString());
        var written = LineProtocolFile.Read(output);
        long dropped = written.Where(p => p.Measurement == "alloclat_stats").Sum(p => p["sink_dropped"]);
        string[] measurements = ["alloc_latency", "alloclat_stats", "alloc_spike", "alloc_latency_run"];
        Assert.All(written, p => Assert.Contains(p.Measurement, measurements));
        long readBack = 0;
        foreach (var measurement in measurements)
            readBack += (await db.QueryAsync("alloclat", $"SELECT * FROM {measurement}")).SelectMany(s => s.Rows).Count();
        Assert.True(dropped > 0, r.ToString());
        var unsentLine = System.Text.RegularExpressions.Regex.Match(r.Stderr, @"(\d+) points? could not be sent");
        long unsent = unsentLine.Success ? long.Parse(unsentLine.Groups[1].Value) : 0;
        // What reached the database, what was counted as dropped, and what was reported unsent at shutdown is every
        // point, but for drops after the last interval was written, which no later alloclat_stats can carry (at
        // most one queue's worth).
        Assert.InRange(written.Count - readBack - dropped - unsent, 0, 10);
    }

    private static void WaitForLines(string path, int lines, TimeSpan timeout)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(path) || File.ReadLines(path).Count() < lines)
        {
            Assert.True(deadline.Elapsed < timeout, $"{path} did not reach {lines} lines within {timeout}");
            Thread.Sleep(50);
        }
    }
}
