using Tracer.TestSupport;

namespace Tracer.Kafka.Tests;

/// <summary>
/// Fleet points the database refuses are lost: the aggregator counts them exactly at exit and says so with exit code
/// 11, as a collector does. The database is a scripted server on a loopback socket that answers every write with
/// 400; Kafka is librdkafka's mock cluster (test.mock.num.brokers=3) in this test process, on loopback ports.
/// </summary>
[Collection("kafka")]
public class AggregatorLossTests : IDisposable
{
    public void Dispose() => FleetRun.KillLeftovers();

    private const string Topic = "alloclat.histograms";

    [Fact]
    public async Task EveryFleetPointTheDatabaseRejectsIsCountedAndGivesExitCode11()
    {
        using var kafka = new KafkaMockCluster();
        kafka.CreateTopic(Topic, partitions: 3);
        kafka.CreateTopic(Topic + ".watermarks", partitions: 3);
        await using var db = new ScriptedHttpServer(r => r.Path == "/write" ? ScriptedResponse.InfluxError(400, "unable to parse points") : new ScriptedResponse(204));
        string dir = Directory.CreateTempSubdirectory("alloclat-fleet-loss-").FullName;
        var aggregator = FleetRun.Aggregator("agg-loss", kafka.Bootstraps, "loss", db.Url, "alloclat", "--influx-flush-timeout", "1s");
        FleetRun.WaitFor(aggregator, "[INFO] partitions assigned:");

        string gate = Path.Combine(dir, "go");
        var collector = FleetRun.Collector("loss-1", kafka.Bootstraps, Path.Combine(dir, "loss-1.lp"), rounds: 4, gate);
        FleetRun.WaitFor(collector, "[INFO] tracing ");
        File.WriteAllText(gate, "");
        var (exit, _, stderr) = collector.Wait(TimeSpan.FromMinutes(2));
        Assert.True(exit == 0, stderr);
        List<string> Written() => db.Requests.Where(q => q.Path == "/write")
            .SelectMany(q => System.Text.Encoding.UTF8.GetString(q.Body).Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToList();
        // Every window of the run is closed once the lateness has passed: the last ones come a few intervals after the collector's end.
        int windows = 0;
        await Wait.UntilAsync(() =>
        {
            int now = Written().Count(l => l.StartsWith("alloc_latency_fleet,", StringComparison.Ordinal));
            bool settled = now > 0 && now == windows;
            windows = now;
            return settled;
        }, TimeSpan.FromSeconds(60), "the aggregator to write its fleet windows", TimeSpan.FromSeconds(4));

        aggregator.Signal(15);
        var result = aggregator.Wait(TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 11, result.Stderr);
        var info = System.Text.RegularExpressions.Regex.Match(result.Stderr, @"\[INFO\] aggregated \d+ histograms into (\d+) fleet points");
        Assert.True(info.Success, result.Stderr);
        long fleetPoints = long.Parse(info.Groups[1].Value);
        var written = Written();
        Assert.Equal(written.Count(l => l.StartsWith("alloc_latency_fleet,", StringComparison.Ordinal)), fleetPoints);
        // Every write was refused (and a 400 is not retried): each line the server was sent is a point lost, and so
        // is any the writer had not sent yet when the flush timeout ended.
        var error = Assert.Single(result.Stderr.Split('\n'), l => l.StartsWith("[ERROR] ", StringComparison.Ordinal));
        var lost = System.Text.RegularExpressions.Regex.Match(error, @"^\[ERROR\] (\d+) of (\d+) points? were lost to InfluxDB at .* db=alloclat: (\d+) rejected by the server, (\d+) not sent within the flush timeout \(1 s\)");
        Assert.True(lost.Success, error);
        Assert.Equal(long.Parse(lost.Groups[1].Value), long.Parse(lost.Groups[3].Value) + long.Parse(lost.Groups[4].Value));
        Assert.Equal(lost.Groups[1].Value, lost.Groups[2].Value);
        Assert.Equal(written.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), lost.Groups[3].Value);
    }
}
