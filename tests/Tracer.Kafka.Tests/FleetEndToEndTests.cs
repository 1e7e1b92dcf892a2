using System.Text.Json;
using Tracer.TestSupport;

namespace Tracer.Kafka.Tests;

/// <summary>
/// Three hosts, two aggregators, a crash. Kafka here is librdkafka's mock cluster (test.mock.num.brokers=3) running
/// inside this test process: it speaks the real Kafka protocol on loopback ports, and the collectors, aggregators and
/// kcat connect to it as to any cluster. InfluxDB is a real InfluxDB 1.6 on loopback.
/// </summary>
[Collection("kafka")]
public class FleetEndToEndTests : IDisposable
{
    public void Dispose() => FleetRun.KillLeftovers();

    private const string Topic = "alloclat.histograms";

    [Fact]
    public async Task ThreeHostsTwoAggregatorsAndAKillGiveExactFleetPercentilesEveryWindowOnce()
    {
        using var kafka = new KafkaMockCluster();
        kafka.CreateTopic(Topic, partitions: 6);
        // The mock cluster has no controller for CreateTopics: the aggregators' watermark topic is made here.
        kafka.CreateTopic(Topic + ".watermarks", partitions: 6);
        await using var influx = new InfluxDb1Fixture();
        await influx.StartAsync();
        string dir = Directory.CreateTempSubdirectory("alloclat-fleet-").FullName;

        // Alert rules run on the fleet series too: every 1 MiB mmap of the workload takes well over 500 ns.
        string[] rule = ["--alert", "fleet: p50 > 500ns for 1 intervals op=mmap"];
        var agg1 = FleetRun.Aggregator("agg-1", kafka.Bootstraps, "fleet", influx.Url, "fleet", rule);
        var agg2 = FleetRun.Aggregator("agg-2", kafka.Bootstraps, "fleet", influx.Url, "fleet", rule);
        FleetRun.WaitFor(agg1, "[INFO] partitions assigned:");
        FleetRun.WaitFor(agg2, "[INFO] partitions assigned:");

        var hosts = new[] { "web-1", "web-2", "web-3" };
        var outputs = hosts.Select(h => Path.Combine(dir, h + ".lp")).ToArray();
        string gate = Path.Combine(dir, "go");
        var collectors = hosts.Select((h, i) => FleetRun.Collector(h, kafka.Bootstraps, outputs[i], rounds: 16, gate)).ToArray();
        foreach (var c in collectors)
            FleetRun.WaitFor(c, "[INFO] tracing ");
        File.WriteAllText(gate, "");

        // Mid-stream: once fleet points are being written, one aggregator dies without a word and another joins.
        await Wait.UntilAsync(async () => (await influx.QueryAsync("fleet", "SELECT count(count) FROM alloc_latency_fleet")).Count > 0,
            TimeSpan.FromSeconds(60), "the first fleet points", TimeSpan.FromMilliseconds(200));
        agg1.Kill();
        var agg3 = FleetRun.Aggregator("agg-3", kafka.Bootstraps, "fleet", influx.Url, "fleet", rule);

        foreach (var c in collectors)
        {
            var (exit, _, stderr) = c.Wait(TimeSpan.FromMinutes(2));
            Assert.True(exit == 0, stderr);
        }
        var intervals = outputs.SelectMany(IndependentHistograms.Read).ToList();
        Assert.Equal(hosts, intervals.Select(i => i.Host).Distinct().Order());
        var expected = IndependentHistograms.Fleet(intervals, FleetRun.IntervalNs);
        Assert.Contains(expected.Values, e => e.Hosts == 3);

        Dictionary<string, IReadOnlyDictionary<string, object?>> rows = [];
        try
        {
        await Wait.UntilAsync(async () =>
        {
            var series = await influx.QueryAsync("fleet", "SELECT * FROM alloc_latency_fleet");
            rows = series.SelectMany(s => s.Rows).ToDictionary(
                r => IndependentHistograms.Key("alloc_latency_fleet", new[] { "allocator", "comm", "op", "size_class" }.Select(t => new KeyValuePair<string, string>(t, (string)r[t]!)), FleetRun.AsLong(r["time"])),
                r => r);
            return expected.Keys.All(rows.ContainsKey) && expected.All(e => FleetRun.AsLong(rows[e.Key]["count"]) == e.Value.Count);
        }, TimeSpan.FromSeconds(60), $"{expected.Count} fleet points with every host's calls", TimeSpan.FromMilliseconds(250));
        }
        catch (TimeoutException e)
        {
            var missing = expected.Keys.Where(k => !rows.ContainsKey(k)).ToList();
            var wrong = expected.Where(x => rows.TryGetValue(x.Key, out var r) && FleetRun.AsLong(r["count"]) != x.Value.Count)
                .Select(x => $"{x.Key}: {FleetRun.AsLong(rows[x.Key]["count"])} of {x.Value.Count}").ToList();
            throw new TimeoutException($"{e.Message}; {missing.Count} missing ({string.Join(" ", missing.Take(5))}), {wrong.Count} short ({string.Join(" ", wrong.Take(5))})\n--- agg-1\n{agg1.StderrSoFar}\n--- agg-2\n{agg2.StderrSoFar}\n--- agg-3\n{agg3.StderrSoFar}");
        }

        Assert.Equal(expected.Count, rows.Count);
        foreach (var (key, e) in expected)
        {
            var r = rows[key];
            Assert.True(e == new IndependentHistograms.Expected(FleetRun.AsLong(r["count"]), FleetRun.AsLong(r["min"]), FleetRun.AsLong(r["max"]),
                FleetRun.AsLong(r["p50"]), FleetRun.AsLong(r["p90"]), FleetRun.AsLong(r["p99"]), FleetRun.AsLong(r["p999"]), FleetRun.AsLong(r["p9999"]),
                (int)FleetRun.AsLong(r["hosts"])), $"{key}: expected {e}, InfluxDB has {string.Join(", ", r.Select(kv => $"{kv.Key}={kv.Value}"))}");
        }
        // Exact counts: every call of every host is in exactly one fleet window.
        Assert.Equal(intervals.Sum(i => i.Count), rows.Values.Sum(r => FleetRun.AsLong(r["count"])));

        var alerts = (await influx.QueryAsync("fleet", "SELECT * FROM alert WHERE \"rule\" = 'fleet'")).SelectMany(x => x.Rows).ToList();
        Assert.Contains(alerts, a => (string?)a["state"] == "firing" && (string?)a["source"] == "alloc_latency_fleet" && (string?)a["op"] == "mmap");
        Assert.All(alerts, a => Assert.Null(a.GetValueOrDefault("host")));
        Assert.Contains("[ALERT] firing rule=\"fleet\" alloc_latency_fleet", agg1.StderrSoFar + agg2.StderrSoFar + agg3.StderrSoFar);

        agg2.Signal(15);
        agg3.Signal(15);
        Assert.Equal(0, agg2.Wait(TimeSpan.FromSeconds(30)).ExitCode);
        var last = agg3.Wait(TimeSpan.FromSeconds(30));
        Assert.True(last.ExitCode == 0, last.Stderr);

        // An independent client reads the topic, and one message decodes with the documented format alone.
        var kcat = CapturedProcess.Start("kcat", ["-C", "-b", kafka.Bootstraps, "-t", Topic, "-p", "0", "-o", "beginning", "-c", "1", "-e", "-q", "-f", "%k\n%s\n"]).Wait(TimeSpan.FromSeconds(30));
        Assert.True(kcat.ExitCode == 0, kcat.Stderr);
        var lines = kcat.Stdout.Split('\n');
        using var doc = JsonDocument.Parse(lines[1]);
        var m = doc.RootElement;
        Assert.Equal(1, m.GetProperty("version").GetInt32());
        Assert.Contains(m.GetProperty("host").GetString(), hosts);
        Assert.True(m.GetProperty("interval_end").GetInt64() > m.GetProperty("interval_start").GetInt64());
        Assert.True(m.GetProperty("sequence").GetInt64() >= 1);
        var tags = m.GetProperty("tags").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal("alloc_workload", tags["comm"]);
        Assert.Equal(m.GetProperty("measurement").GetString() + "," + string.Join(",", tags.Where(t => t.Key != "pid").OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}")), lines[0]);
        var histogram = IndependentHistograms.Decode(m.GetProperty("histogram").GetBytesFromBase64());
        Assert.Equal(m.GetProperty("count").GetInt64(), histogram.TotalCount);
        Assert.Contains(intervals, i => i.Host == m.GetProperty("host").GetString() && i.Sequence == m.GetProperty("sequence").GetInt64() && i.Count == histogram.TotalCount);
    }
}
