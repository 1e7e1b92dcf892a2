namespace Dashboards.Tests;

/// <summary>
/// The provisioned Grafana alert rules do what their descriptions say, judged on data from a real traced run in
/// InfluxDB 1.6 (<see cref="TracedDatabase.RuleRun"/>): the rule's own query, window, reducer, threshold, interval and
/// pending period, replayed by <see cref="GrafanaRuleEvaluator"/> at every phase of the one-minute evaluation grid
/// (Grafana picks the phase per rule). A half-second latency spike must never fire; a step that lasts must fire, and
/// only after three breaching evaluations.
/// </summary>
[Collection(TracedCollection.Name)]
public sealed class AlertRuleSemanticsTests(TracedDatabase db)
{
    private const string LatencyRule = "alloclat-p999-high";
    private static readonly TimeSpan GridStep = TimeSpan.FromSeconds(10);

    private static string Only(string comm) => $"\"comm\" = '{comm}'";

    [Fact]
    public void LatencyRule_IsReadAsItsDescriptionSays()
    {
        var rule = GrafanaRule.Load(LatencyRule);
        Assert.Equal(TimeSpan.FromMinutes(1), rule.Interval);
        Assert.Equal(TimeSpan.FromSeconds(60), rule.Window);
        Assert.Equal("min", rule.Reducer);
        Assert.Equal("gt", rule.ThresholdType);
        Assert.Equal(5_000_000, rule.Threshold);
        // Three consecutive breaching evaluations one interval apart: pending at the first, firing at the third.
        Assert.Equal(2 * rule.Interval, rule.For);
        Assert.Contains("GROUP BY time(10s), \"host\", \"comm\"", rule.Query);
        string description = (string)Provisioning.Map(Provisioning.AlertRules().Single(r => (string)r["uid"] == LatencyRule)["annotations"])["description"];
        Assert.Contains("above 5 ms in every 10-second bucket with calls for 3 minutes", description);
        Assert.Contains("3 consecutive evaluations, one minute apart", description);
        Assert.Contains("nanoseconds", description);
    }

    [Fact]
    public void GcRule_HasTheSameShape_WithItsOwnLimit()
    {
        var latency = GrafanaRule.Load(LatencyRule);
        var gc = GrafanaRule.Load("alloclat-gc-pause-high");
        Assert.Equal(50_000_000, gc.Threshold);
        Assert.Equal(latency with { Uid = gc.Uid, Query = gc.Query, Threshold = gc.Threshold }, gc);
        Assert.Equal(latency.Query.Replace("\"alloc_latency\"", "\"gc_pause\""), gc.Query);
    }

    [Fact]
    public async Task OneSlowHalfSecond_NeverFires_AtAnyPhase()
    {
        var rule = GrafanaRule.Load(LatencyRule);
        var (start, end) = db.RuleRun;
        await AssertSpikeIsInTheDataAsync();
        for (var phase = TimeSpan.Zero; phase < rule.Interval; phase += GridStep)
        {
            var evals = await GrafanaRuleEvaluator.EvaluateAsync(db.Influx, TracedDatabase.Database, rule, start + phase, end + rule.Window + rule.Interval, Only(TracedDatabase.SpikeComm));
            Assert.Contains(evals, e => e.Value is not null);
            Assert.DoesNotContain(evals, e => e.State != AlertState.Normal);
        }
    }

    [Fact]
    public async Task TheRuleAsItWas_FiresOnTheSameSpike()
    {
        // Max over 300 s with for 3m: the slow half-second keeps the maximum high for five minutes, so it fires.
        // The evaluator sees that; the rule as provisioned must not behave like it.
        var old = GrafanaRule.Load(LatencyRule) with { Window = TimeSpan.FromSeconds(300), Reducer = "max", For = TimeSpan.FromMinutes(3) };
        var (start, end) = db.RuleRun;
        var evals = await GrafanaRuleEvaluator.EvaluateAsync(db.Influx, TracedDatabase.Database, old, start, end + old.Window, Only(TracedDatabase.SpikeComm));
        Assert.Contains(evals, e => e.State == AlertState.Alerting);
    }

    [Fact]
    public async Task ASustainedStep_Fires_AtEveryPhase_ThreeEvaluationsAfterItBegins()
    {
        var rule = GrafanaRule.Load(LatencyRule);
        var (start, end) = db.RuleRun;
        for (var phase = TimeSpan.Zero; phase < rule.Interval; phase += GridStep)
        {
            var evals = (await GrafanaRuleEvaluator.EvaluateAsync(db.Influx, TracedDatabase.Database, rule, start + phase, end + rule.Window + rule.Interval, Only(TracedDatabase.StepComm)))
                .Where(e => e.Labels.Contains("comm=" + TracedDatabase.StepComm, StringComparison.Ordinal)).ToList();
            string trace = string.Join("\n", evals.Select(e => $"{e.At:HH:mm:ss} {e.Value} {e.State}"));
            var firing = evals.FirstOrDefault(e => e.State == AlertState.Alerting);
            Assert.True(firing is not null, $"phase {phase}: never fired\n{trace}\ncollector logs:\n{string.Join("\n---\n", db.RunLogs)}");
            // The two evaluations before the first firing breached and were pending: three windows of one minute.
            int i = evals.IndexOf(firing);
            Assert.True(i >= 2, trace);
            Assert.Equal([AlertState.Pending, AlertState.Pending], evals.Skip(i - 2).Take(2).Select(e => e.State));
            Assert.Equal(firing.At - 2 * rule.Interval, evals[i - 2].At);
            Assert.All(evals.Skip(i - 2).Take(3), e => Assert.True(e.Value > rule.Threshold, trace));
            // It stays firing while the step lasts, and is normal again once the process is gone.
            Assert.All(evals.Skip(i).TakeWhile(e => e.Value is not null && e.Breach), e => Assert.Equal(AlertState.Alerting, e.State));
            Assert.Equal(AlertState.Normal, evals[^1].State);
        }
    }

    private async Task AssertSpikeIsInTheDataAsync()
    {
        // The spike is really there: some 10-second bucket of the spike process is far above the limit, the others below.
        var (start, end) = db.RuleRun;
        string query = $"SELECT max(\"p999\") FROM \"alloc_latency\" WHERE {Only(TracedDatabase.SpikeComm)} AND time >= {start.ToUnixTimeMilliseconds()}ms "
            + $"AND time <= {end.ToUnixTimeMilliseconds()}ms GROUP BY time(10s) fill(none)";
        var values = (await db.Influx.QueryAsync(TracedDatabase.Database, query)).SelectMany(s => s.Values).Select(r => Convert.ToDouble(r[1])).ToList();
        Assert.True(values.Count >= 6, $"{values.Count} buckets");
        Assert.Contains(values, v => v > 20_000_000);
        // Not slow all the time: most buckets are below the limit (a loaded machine adds a slow bucket now and then).
        Assert.True(values.Count(v => v < 5_000_000) * 2 > values.Count, string.Join(",", values));
    }
}
