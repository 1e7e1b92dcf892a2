using System.Diagnostics;
using Tracer.TestSupport;

namespace Dashboards.Tests;

/// <summary>
/// A real InfluxDB 1.6 filled by fleet mode end to end: two traced hosts (the allocation workload and the Go GC
/// workload, so both alloc_latency_fleet and gc_pause_fleet exist) publish to Kafka, and alloclat aggregate writes
/// the fleet series. Kafka is librdkafka's mock cluster (test.mock.num.brokers=3) inside this test process,
/// speaking the real protocol on loopback ports.
/// </summary>
public sealed class FleetDatabase : IAsyncLifetime
{
    public const string Database = "alloclat";
    private const string Topic = "alloclat.histograms";

    public InfluxDb1Fixture Influx { get; } = new();

    public async Task InitializeAsync()
    {
        await Influx.InitializeAsync();
        using var kafka = new KafkaMockCluster();
        kafka.CreateTopic(Topic, 3);
        kafka.CreateTopic(Topic + ".watermarks", 3);
        string dir = Directory.CreateTempSubdirectory("alloclat-fleet-dash-").FullName;
        var aggregator = CapturedProcess.Start(Repo.Path("bin", "alloclat"),
        [
            "aggregate", "--kafka-brokers", kafka.Bootstraps, "--group", "dash", "--interval", "500ms", "--lateness", "6",
            "--host", "agg-1", "--influx-url", Influx.Url.ToString().TrimEnd('/'), "--influx-db", Database,
        ]);
        WaitFor(aggregator, "[INFO] partitions assigned:");
        string gate = Path.Combine(dir, "go");
        string loop = $"while [ ! -e {gate} ]; do sleep 0.02; done; i=0; while [ $i -lt 8 ]; do "
            + $"{Repo.Path("build", "workloads", "alloc_workload")} 4 1 0 >/dev/null; {Repo.Path("build", "workloads", "gogc")} 2 >/dev/null; sleep 0.2; i=$((i+1)); done";
        var hosts = new[] { "fleet-a", "fleet-b" }.Select(h => CapturedProcess.Start(Repo.Path("bin", "alloclat"),
            ["record", "-q", "--host", h, "--interval", "500ms", "--kafka-brokers", kafka.Bootstraps, "-o", Path.Combine(dir, h + ".lp"), "--", "/bin/sh", "-c", loop])).ToList();
        foreach (var h in hosts)
            WaitFor(h, "[INFO] tracing ");
        File.WriteAllText(gate, "");
        foreach (var h in hosts)
        {
            var (exit, _, stderr) = h.Wait(TimeSpan.FromMinutes(2));
            if (exit != 0)
                throw new InvalidOperationException($"a fleet host exited with {exit}:\n{stderr}");
        }
        await Wait.UntilAsync(async () =>
            (await Influx.QueryAsync(Database, "SELECT max(\"hosts\") FROM \"alloc_latency_fleet\"")).SelectMany(s => s.Rows).Any(r => r["max"] is long n && n == 2)
            && (await Influx.QueryAsync(Database, "SELECT count(\"count\") FROM \"gc_pause_fleet\"")).Count > 0
            && (await Influx.QueryAsync(Database, "SELECT count(\"merged\") FROM \"alloclat_fleet_stats\"")).Count > 0,
            TimeSpan.FromSeconds(60), "fleet series of both hosts");
        aggregator.Signal(15);
        var result = aggregator.Wait(TimeSpan.FromSeconds(30));
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"the aggregator exited with {result.ExitCode}:\n{result.Stderr}");
    }

    private static void WaitFor(CapturedProcess p, string text)
    {
        var clock = Stopwatch.StartNew();
        while (!p.StderrSoFar.Contains(text, StringComparison.Ordinal))
        {
            if (p.HasExited || clock.Elapsed > TimeSpan.FromSeconds(60))
                throw new InvalidOperationException($"no '{text}':\n{p.StderrSoFar}");
            Thread.Sleep(20);
        }
    }

    public Task DisposeAsync() => Influx.DisposeAsync();
}

/// <summary>The fleet dashboard's tests share one fleet run.</summary>
[CollectionDefinition(Name)]
public sealed class FleetCollection : ICollectionFixture<FleetDatabase>
{
    public const string Name = "fleet database";
}
