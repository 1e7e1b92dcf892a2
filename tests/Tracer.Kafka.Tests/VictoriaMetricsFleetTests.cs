using Tracer.TestSupport;

namespace Tracer.Kafka.Tests;

/// <summary>
/// Fleet series through the v2 write API into a real VictoriaMetrics on loopback, which keeps every sample it is
/// sent (a window written twice would show twice). Kafka is librdkafka's mock cluster (test.mock.num.brokers=3) in
/// this test process, on loopback ports.
/// </summary>
[Collection("kafka")]
public class VictoriaMetricsFleetTests : IDisposable
{
    public void Dispose() => FleetRun.KillLeftovers();

    private const string Topic = "alloclat.histograms";

    [Fact]
    public async Task FleetPercentilesReadBackFromVictoriaMetricsEqualTheUnionOfTheHostsHistograms()
    {
        using var kafka = new KafkaMockCluster();
        kafka.CreateTopic(Topic, partitions: 3);
        kafka.CreateTopic(Topic + ".watermarks", partitions: 3);
        await using var vm = new VictoriaMetricsFixture();
        await vm.StartAsync();
        string dir = Directory.CreateTempSubdirectory("alloclat-fleet-vm-").FullName;
        var aggregator = FleetRun.AggregatorV2("agg-vm", kafka.Bootstraps, "vm", vm.Url);
        FleetRun.WaitFor(aggregator, "[INFO] partitions assigned:");

        string gate = Path.Combine(dir, "go");
        var outputs = new[] { "vm-1", "vm-2" }.Select(h => Path.Combine(dir, h + ".lp")).ToArray();
        var collectors = outputs.Select(o => FleetRun.Collector(Path.GetFileNameWithoutExtension(o), kafka.Bootstraps, o, rounds: 10, gate)).ToArray();
        foreach (var c in collectors)
            FleetRun.WaitFor(c, "[INFO] tracing ");
        File.WriteAllText(gate, "");
        foreach (var c in collectors)
        {
            var (exit, _, stderr) = c.Wait(TimeSpan.FromMinutes(2));
            Assert.True(exit == 0, stderr);
        }
        var intervals = outputs.SelectMany(IndependentHistograms.Read).ToList();
        var expected = IndependentHistograms.Fleet(intervals, FleetRun.IntervalNs);
        Assert.Contains(expected.Values, e => e.Hosts == 2);

        string Key(VmSeries s, int i) => IndependentHistograms.Key("alloc_latency_fleet",
            new[] { "allocator", "comm", "op", "size_class" }.Select(t => new KeyValuePair<string, string>(t, s.Labels[t])), s.TimestampsMs[i] * 1_000_000);
        Dictionary<string, List<long>> Samples(IReadOnlyList<VmSeries> series) => series
            .SelectMany(s => s.Values.Select((v, i) => (Key: Key(s, i), Value: (long)v)))
            .GroupBy(x => x.Key).ToDictionary(g => g.Key, g => g.Select(x => x.Value).ToList());
        IReadOnlyList<VmSeries> counts = [];
        await Wait.UntilAsync(async () =>
        {
            counts = await vm.ExportAsync("{__name__=\"alloc_latency_fleet_count\"}");
            var got = Samples(counts);
            return expected.All(e => got.TryGetValue(e.Key, out var v) && v.Sum() == e.Value.Count);
        }, TimeSpan.FromSeconds(60), $"{expected.Count} fleet windows in VictoriaMetrics", TimeSpan.FromMilliseconds(250));
        aggregator.Signal(15);
        Assert.Equal(0, aggregator.Wait(TimeSpan.FromSeconds(30)).ExitCode);

        var fields = new Dictionary<string, Func<IndependentHistograms.Expected, long>>
        {
            ["count"] = e => e.Count, ["min"] = e => e.Min, ["max"] = e => e.Max, ["p50"] = e => e.P50, ["p90"] = e => e.P90,
            ["p99"] = e => e.P99, ["p999"] = e => e.P999, ["p9999"] = e => e.P9999, ["hosts"] = e => e.Hosts,
        };
        foreach (var (field, of) in fields)
        {
            var samples = Samples(await vm.ExportAsync($"{{__name__=\"alloc_latency_fleet_{field}\"}}"));
            Assert.Equal(expected.Keys.Order(), samples.Keys.Order());
            foreach (var (key, e) in expected)
                Assert.True(samples[key].SequenceEqual([of(e)]), $"{field} of {key}: expected exactly one sample {of(e)}, VictoriaMetrics has {string.Join(",", samples[key])}");
        }
    }
}
