using System.Text.Json;
using System.Text.RegularExpressions;
using Tracer.TestSupport;

namespace Dashboards.Tests;

/// <summary>
/// Every panel query and every Grafana alert rule query, expanded as Grafana would with variable values read back
/// from the database, runs against InfluxDB 1.6 filled by real traced runs and returns the series and columns the
/// panel draws.
/// </summary>
[Collection(TracedCollection.Name)]
public sealed partial class PanelQueryTests
{
    private readonly TracedDatabase _db;

    public PanelQueryTests(TracedDatabase db) => _db = db;

    public static TheoryData<string, int> Targets()
    {
        var data = new TheoryData<string, int>();
        foreach (var p in Repo.Dashboard().RootElement.GetProperty("panels").EnumerateArray())
            for (int i = 0; i < p.GetProperty("targets").GetArrayLength(); i++)
                data.Add(p.GetProperty("title").GetString()!, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task PanelQuery_ReturnsSeriesWithItsColumns(string title, int target)
    {
        using var doc = Repo.Dashboard();
        var panel = doc.RootElement.GetProperty("panels").EnumerateArray().Single(p => p.GetProperty("title").GetString() == title);
        string query = panel.GetProperty("targets")[target].GetProperty("query").GetString()!;
        string expanded = QueryExpander.Expand(query, await VariablesAsync());

        // Throws with InfluxDB's message for a query it cannot parse or run.
        var series = await _db.Influx.QueryAsync(TracedDatabase.Database, expanded);
        AssertHasData(expanded, series);
    }

    [Fact]
    public async Task Variables_ReturnValues_AndNarrowWhenChained()
    {
        var all = await VariablesAsync();
        foreach (var (name, values) in all)
            Assert.True(values.Count > 0, $"${name} has no values");
        Assert.Contains("slowalloc", all["allocator"]);
        Assert.Contains("kernel", all["allocator"]);
        Assert.Contains("gogc", all["comm"]);
        Assert.Contains("mmap", all["op"]);
        Assert.Contains("malloc", all["op"]);

        // With allocator=kernel only, the op variable offers syscalls only.
        var narrowed = new Dictionary<string, IReadOnlyList<string>>(all) { ["allocator"] = ["kernel"] };
        var ops = await TagValuesAsync(VariableQuery("op"), narrowed);
        Assert.Contains("mmap", ops);
        Assert.DoesNotContain("malloc", ops);
    }

    public static TheoryData<string> AlertRules()
    {
        var data = new TheoryData<string>();
        foreach (var rule in Provisioning.AlertRules())
            data.Add(rule["uid"].ToString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(AlertRules))]
    public async Task GrafanaAlertRuleQuery_ReturnsSeriesPerHostAndComm(string uid)
    {
        var rule = Provisioning.AlertRules().Single(r => r["uid"].ToString() == uid);
        var queries = Provisioning.List(rule["data"]).Select(Provisioning.Map)
            .Where(d => d["datasourceUid"].ToString() != "__expr__").ToList();
        Assert.NotEmpty(queries);
        foreach (var q in queries)
        {
            string query = Provisioning.Map(q["model"])["query"].ToString()!;
            var series = await _db.Influx.QueryAsync(TracedDatabase.Database, QueryExpander.Expand(query, new Dictionary<string, IReadOnlyList<string>>()));
            AssertHasData(query, series);
            Assert.All(series, s => Assert.True(s.Tags.ContainsKey("host") && s.Tags.ContainsKey("comm"), $"{query}: tags {string.Join(",", s.Tags.Keys)}"));
        }
    }

    [Fact]
    public async Task GcPanel_ShowsDotnetPausesByReasonAndGeneration_BesideGo()
    {
        using var doc = Repo.Dashboard();
        var panel = doc.RootElement.GetProperty("panels").EnumerateArray().Single(p => p.GetProperty("title").GetString() == "GC pauses (Go, .NET)");
        string query = QueryExpander.Expand(panel.GetProperty("targets")[0].GetProperty("query").GetString()!, await VariablesAsync());
        var series = await _db.Influx.QueryAsync(TracedDatabase.Database, query);
        Assert.Contains(series, s => s.Tags["runtime"] == "go");
        var large = Assert.Single(series, s => s.Tags["runtime"] == "dotnet" && s.Tags["reason"] == "AllocLarge" && s.Tags["generation"] == "2");
        Assert.Contains(large.Values, row => row.Skip(1).Any(v => v is not null));
    }

    [Fact]
    public async Task AlertPanel_ShowsTheCollectorsTransitions()
    {
        var rows = (await _db.Influx.QueryAsync(TracedDatabase.Database,
            $"SELECT \"state\", \"value\" FROM \"alert\" WHERE \"rule\" = 'step' AND {QueryExpander.TimeFilter}")).SelectMany(s => s.Rows).ToList();
        Assert.Contains(rows, r => (string?)r["state"] == "firing");
        Assert.Contains(rows, r => (string?)r["state"] == "resolved");
    }

    private static void AssertHasData(string query, IReadOnlyList<InfluxSeries> series)
    {
        Assert.True(series.Count > 0, $"no series for: {query}");
        Assert.True(series.Any(s => s.Values.Count > 0), $"no rows for: {query}");
        foreach (Match m in Alias().Matches(query))
            Assert.All(series, s => Assert.Contains(m.Groups[1].Value, s.Columns));
        // Some value of a selected column is present (not only nulls from fill()).
        Assert.Contains(series.SelectMany(s => s.Values), row => row.Skip(1).Any(v => v is not null));
        var groupBy = GroupBy().Match(query);
        if (groupBy.Success)
            foreach (var tag in TagName().Matches(groupBy.Groups[1].Value).Select(t => t.Groups[1].Value))
                Assert.All(series, s => Assert.True(s.Tags.ContainsKey(tag), $"series without tag {tag}: {query}"));
    }

    private async Task<Dictionary<string, IReadOnlyList<string>>> VariablesAsync()
    {
        var values = new Dictionary<string, IReadOnlyList<string>>();
        using var doc = Repo.Dashboard();
        foreach (var v in doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
            values[v.GetProperty("name").GetString()!] = await TagValuesAsync(v.GetProperty("query").GetString()!, values);
        return values;
    }

    private static string VariableQuery(string name)
    {
        using var doc = Repo.Dashboard();
        return doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Single(v => v.GetProperty("name").GetString() == name).GetProperty("query").GetString()!;
    }

    private async Task<IReadOnlyList<string>> TagValuesAsync(string query, IReadOnlyDictionary<string, IReadOnlyList<string>> before)
    {
        var series = await _db.Influx.QueryAsync(TracedDatabase.Database, QueryExpander.Expand(query, before));
        return series.SelectMany(s => s.Rows).Select(r => (string)r["value"]!).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    [GeneratedRegex(@"AS ""([^""]+)""")]
    private static partial Regex Alias();

    [GeneratedRegex(@"GROUP BY (.*?)(?: fill\(|$)")]
    private static partial Regex GroupBy();

    [GeneratedRegex(@"""(\w+)""")]
    private static partial Regex TagName();
}
