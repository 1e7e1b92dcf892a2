using System.Globalization;
using Tracer.TestSupport;

namespace Tracer.Alerts.Tests;

/// <summary>
/// The collector traces a program whose large mallocs become slow for a few seconds (libslowalloc's latency step)
/// and writes to a real InfluxDB 1.6: the rule goes pending, fires and resolves once the step ends; the same
/// program without the step never fires.
/// </summary>
public sealed class AlertEndToEndTests : IClassFixture<InfluxDb1Fixture>
{
    private const string Rule = "step: p999 > 15ms for 3 intervals resolve after 2 intervals allocator=slowalloc op=malloc";
    private readonly InfluxDb1Fixture _influx;

    public AlertEndToEndTests(InfluxDb1Fixture influx) => _influx = influx;

    private (int ExitCode, string Stderr, List<AlertLine> Alerts) Trace(string db, Uri? webhook, params string[] slowallocEnv)
    {
        string output = Path.Combine(Directory.CreateTempSubdirectory("alloclat-alert-").FullName, "out.lp");
        string[] hook = webhook is null ? [] : ["--alert-webhook", webhook.ToString()];
        var result = Collector.Run(
        [
            "record", "-q", "-o", output, "--precise", "--alert", Rule, .. hook,
            "--influx-url", _influx.Url.ToString().TrimEnd('/'), "--influx-db", db, "--",
            "env", $"LD_PRELOAD={Collector.Workload("libslowalloc.so")}", "SLOWALLOC_NS=25000000",
            .. slowallocEnv, Collector.Demo, "12",
        ], TimeSpan.FromMinutes(3));
        var alerts = File.ReadAllLines(output).Where(l => l.StartsWith("alert,", StringComparison.Ordinal)).Select(AlertLine.Parse).ToList();
        return (result.ExitCode, result.Stderr, alerts);
    }

    [Fact]
    public async Task LatencyStep_GoesPendingFiringResolved_InFileStderrAndInflux()
    {
        // The receiver fails twice before accepting: the first notification arrives on the third attempt.
        await using var receiver = new ScriptedHttpServer();
        receiver.Enqueue(new ScriptedResponse(503), new ScriptedResponse(503));
        var (exit, stderr, alerts) = Trace("alert_step", new Uri(receiver.Url, "alloclat"), "SLOWALLOC_AFTER_MS=3000", "SLOWALLOC_UNTIL_MS=8000");
        Assert.True(exit == 0, stderr);
        Assert.NotEmpty(alerts);
        Assert.All(alerts, a => Assert.Equal("step", a.Tags["rule"]));
        Assert.All(alerts, a => Assert.Equal("slowalloc", a.Tags["allocator"]));
        Assert.All(alerts, a => Assert.Equal("alloc_latency", a.Tags["source"]));

        // Every size class that fired did so after a pending point, and its next transition resolved it.
        var bySeries = alerts.GroupBy(a => a.Tags["size_class"]).ToList();
        var fired = bySeries.Where(g => g.Any(a => a.Tags["state"] == "firing")).ToList();
        Assert.NotEmpty(fired);
        foreach (var g in fired)
        {
            var states = g.Select(a => a.Tags["state"]).ToList();
            int firing = states.IndexOf("firing");
            Assert.True(firing > 0 && states[firing - 1] == "pending", $"{g.Key}: {string.Join(",", states)}");
            var after = g.Skip(firing + 1).ToList();
            Assert.True(after.Count > 0 && after[0].Tags["state"] == "resolved" && after[0].Rest.Contains("previous=\"firing\"", StringComparison.Ordinal),
                $"{g.Key}: {string.Join(",", states)}");
        }
        Assert.Contains("[ALERT] firing rule=\"step\"", stderr);
        Assert.Contains("[ALERT] resolved rule=\"step\"", stderr);

        // Webhook: firing and resolved-after-firing only, each delivered once after the retries; all before exit.
        var bodies = receiver.Requests.Select(r => r.BodyText).ToList();
        Assert.Equal(bodies[0], bodies[1]);
        Assert.Equal(bodies[0], bodies[2]);
        var delivered = bodies.Skip(2).Select(b => System.Text.Json.JsonDocument.Parse(b).RootElement).ToList();
        int notifications = alerts.Count(a => a.Tags["state"] == "firing" || (a.Tags["state"] == "resolved" && a.Rest.Contains("previous=\"firing\"", StringComparison.Ordinal)));
        Assert.Equal(notifications, delivered.Count);
        Assert.Equal("firing", delivered[0].GetProperty("state").GetString());
        Assert.All(delivered, d => Assert.Equal("step", d.GetProperty("rule").GetString()));
        Assert.All(receiver.Requests, r => Assert.Equal("/alloclat", r.Path));

        var rows = await WaitForRows("alert_step", "SELECT \"value\", \"threshold\", \"intervals\", \"previous\", \"firing\", \"state\" FROM \"alert\" WHERE \"rule\" = 'step'", alerts.Count);
        Assert.Equal(alerts.Count, rows.Count);
        Assert.Equal(alerts.Count(a => a.Tags["state"] == "firing"), rows.Count(r => (string?)r["state"] == "firing"));
        Assert.All(rows.Where(r => (string?)r["state"] == "firing"), r =>
        {
            Assert.True((long)r["value"]! > 15_000_000);
            Assert.Equal(15_000_000L, r["threshold"]);
            Assert.Equal(true, r["firing"]);
            Assert.Equal("pending", r["previous"]);
        });
    }

    [Fact]
    public async Task SteadyWorkload_StaysQuiet()
    {
        var (exit, stderr, alerts) = Trace("alert_steady", null, "SLOWALLOC_MIN=1073741824");
        Assert.True(exit == 0, stderr);
        // A lone slow interval (the machine is shared) may make a series pending; the rule needs three in a row to fire.
        Assert.True(alerts.All(a => a.Tags["state"] is "pending" or "resolved"), stderr);
        Assert.True(alerts.Where(a => a.Tags["state"] == "resolved").All(a => a.Rest.Contains("previous=\"pending\"", StringComparison.Ordinal)), stderr);
        Assert.DoesNotContain("[ALERT] firing", stderr);
        // The run did reach the database: the rule had series to judge, and none breached.
        var series = await WaitForRows("alert_steady", "SELECT max(\"p999\") AS \"worst\" FROM \"alloc_latency\" WHERE \"allocator\" = 'slowalloc' AND \"op\" = 'malloc'", 1);
        Assert.True((long)series[0]["worst"]! > 0);
        Assert.Empty(await _influx.QueryAsync("alert_steady", "SELECT * FROM \"alert\" WHERE \"state\" = 'firing'"));
    }

    private async Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> WaitForRows(string db, string query, int atLeast)
    {
        IReadOnlyList<IReadOnlyDictionary<string, object?>> rows = [];
        await Wait.UntilAsync(async () =>
        {
            rows = (await _influx.QueryAsync(db, query)).SelectMany(s => s.Rows).ToList();
            return rows.Count >= atLeast;
        }, TimeSpan.FromSeconds(30), $"{atLeast} rows for {query}");
        return rows;
    }
}
