using Tracer.TestSupport;
using static Tracer.Sinks.Tests.RealDb;

namespace Tracer.Sinks.Tests;

/// <summary>
/// Points written to a real VictoriaMetrics through the InfluxDB v2 API and read back with its export API.
/// VictoriaMetrics stores <c>m,tags f=v</c> as metric <c>m_f</c> with the tags as labels, in milliseconds.
/// </summary>
public class VictoriaMetricsTests(VictoriaMetricsFixture vm) : IClassFixture<VictoriaMetricsFixture>
{
    private static readonly HashSet<string> ServerLabels = ["__name__", "db"];

    private InfluxSink NewSink(CapturingWriter log) => new(Fast(InfluxWriterOptions.ForV2(vm.Url, "alloclat-org", "alloclat", "unused-token")), log);

    private async Task<IReadOnlyList<VmSeries>> ExportAsync(string selector, int expectedSeries)
    {
        IReadOnlyList<VmSeries> series = [];
        await Wait.UntilAsync(async () => (series = await vm.ExportAsync(selector)).Count >= expectedSeries, Patience,
            $"{expectedSeries} series matching {selector}", TimeSpan.FromMilliseconds(200));
        return series;
    }

    [Fact]
    public async Task Snapshots_RoundTrip_EveryLabelAndValue()
    {
        string host = TestData.UniqueName("vmhost");
        var log = new CapturingWriter();
        var sink = NewSink(log);
        var ping = await sink.PingAsync();
        Assert.True(ping.Ok, ping.Message);
        Assert.False(ping.DatabaseEnsured);

        long start = TestData.NowNs(-60);
        var snapshots = Enumerable.Range(0, 3).Select(i => TestData.Snapshot(start + i * 1_000_000_000L, host, 4, i)).ToList();
        foreach (var s in snapshots)
            await sink.WriteAsync(s, CancellationToken.None);
        Assert.True(await sink.Writer.FlushAsync(Patience), log.Text);
        await sink.DisposeAsync();
        Assert.Equal(0, sink.Writer.DroppedLines);

        var exported = await ExportAsync($"{{__name__=~\"alloc_latency_.*\",host=\"{host}\"}}", 4 * 10);
        Assert.Equal(4 * 10, exported.Count);
        var times = snapshots.Select(s => s.EndUnixNs / 1_000_000).ToList();
        for (int i = 0; i < 4; i++)
        {
            var template = snapshots[0].Series[i];
            var expectedLabels = template.Tags.ToDictionary(t => t.Key, t => t.Value);
            expectedLabels["host"] = host;
            foreach (var field in Fields(template.Stats).Keys)
            {
                var series = Assert.Single(exported, e => e.Name == "alloc_latency_" + field && e.Labels["pid"] == template.Tag("pid"));
                Assert.Equal(expectedLabels, series.Labels.Where(l => !ServerLabels.Contains(l.Key)).ToDictionary(l => l.Key, l => l.Value));
                Assert.Equal(times, series.TimestampsMs);
                Assert.Equal(snapshots.Select(s => (double)Fields(s.Series[i].Stats)[field]), series.Values);
            }
        }

        var stats = await ExportAsync($"{{__name__=~\"alloclat_stats_.*\",host=\"{host}\"}}", 4);
        foreach (var field in Fields(snapshots[0].Stats).Keys)
        {
            var series = Assert.Single(stats, e => e.Name == "alloclat_stats_" + field);
            Assert.Equal(times, series.TimestampsMs);
            Assert.Equal(snapshots.Select(s => (double)Fields(s.Stats)[field]), series.Values);
        }
    }

    [Fact]
    public async Task NastyProcessNames_ComeBackAsInfluxDbStoresThem()
    {
        string host = TestData.UniqueName("vmnasty");
        var log = new CapturingWriter();
        var sink = NewSink(log);
        var snapshot = TestData.NastySnapshot(TestData.NowNs(), host);
        await sink.WriteAsync(snapshot, CancellationToken.None);
        Assert.True(await sink.Writer.FlushAsync(Patience), log.Text);
        await sink.DisposeAsync();

        var exported = await ExportAsync($"{{__name__=\"alloc_latency_count\",host=\"{host}\"}}", TestData.NastyNames.Length);
        Assert.Equal(TestData.NastyNames.Length, exported.Count);
        var byPid = exported.ToDictionary(e => e.Labels["pid"]);
        for (int i = 0; i < TestData.NastyNames.Length; i++)
        {
            var series = byPid[Pid(1000 + i)];
            Assert.Equal(TestData.NastyNames[i].Stored, series.Labels["comm"]);
            Assert.Equal([10.0 + i], series.Values);
        }
    }
}
