using System.Text.Json;
using Tracer.TestSupport;

namespace Dashboards.Tests;

/// <summary>
/// dashboards/alloclat-fleet.json: every panel query and variable, expanded as Grafana would, runs against
/// InfluxDB 1.6 filled by a real fleet run and returns the series and columns the panel draws.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class FleetDashboardTests
{
    private readonly FleetDatabase _db;

    public FleetDashboardTests(FleetDatabase db) => _db = db;

    private static JsonDocument Dashboard() => JsonDocument.Parse(File.ReadAllText(Repo.Path("dashboards", "alloclat-fleet.json")));

    public static TheoryData<string, int> Targets()
    {
        var data = new TheoryData<string, int>();
        using var doc = Dashboard();
        foreach (var p in doc.RootElement.GetProperty("panels").EnumerateArray())
            for (int i = 0; i < p.GetProperty("targets").GetArrayLength(); i++)
                data.Add(p.GetProperty("title").GetString()!, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task FleetPanelQuery_ReturnsSeriesWithItsColumns(string title, int target)
    {
        using var doc = Dashboard();
        var panel = doc.RootElement.GetProperty("panels").EnumerateArray().Single(p => p.GetProperty("title").GetString() == title);
        var t = panel.GetProperty("targets")[target];
        string query = t.GetProperty("query").GetString()!;
        var series = await _db.Influx.QueryAsync(FleetDatabase.Database, QueryExpander.Expand(query, await VariablesAsync()));
        Assert.True(series.Count > 0 && series.Any(s => s.Values.Count > 0), $"no rows for: {query}");
        Assert.Contains(series.SelectMany(s => s.Values), row => row.Skip(1).Any(v => v is not null));
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(query, @"AS ""([^""]+)"""))
            Assert.All(series, s => Assert.Contains(m.Groups[1].Value, s.Columns));
        if (t.TryGetProperty("alias", out var alias))
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(alias.GetString()!, @"\$tag_(\w+)"))
                Assert.All(series, s => Assert.True(s.Tags.ContainsKey(m.Groups[1].Value), $"{title}: alias needs tag {m.Groups[1].Value}"));
    }

    [Fact]
    public async Task HostsPanel_ShowsBothHosts_AndVariablesHaveValues()
    {
        var variables = await VariablesAsync();
        Assert.Contains("alloc_workload", variables["comm"]);
        Assert.Contains("kernel", variables["allocator"]);
        Assert.Contains("mmap", variables["op"]);
        using var doc = Dashboard();
        string query = doc.RootElement.GetProperty("panels").EnumerateArray().Single(p => p.GetProperty("title").GetString() == "Hosts per series")
            .GetProperty("targets")[0].GetProperty("query").GetString()!;
        var rows = (await _db.Influx.QueryAsync(FleetDatabase.Database, QueryExpander.Expand(query, variables))).SelectMany(s => s.Rows);
        Assert.Contains(rows, r => r["hosts"] is long n && n == 2);
    }

    [Fact]
    public void EveryPanel_IsComplete_AndOnlyUsesDefinedVariables()
    {
        using var doc = Dashboard();
        var root = doc.RootElement;
        Assert.Equal("alloclat-fleet", root.GetProperty("uid").GetString());
        var names = root.GetProperty("templating").GetProperty("list").EnumerateArray().Select(v => v.GetProperty("name").GetString()!).ToHashSet();
        var panels = root.GetProperty("panels").EnumerateArray().ToList();
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        foreach (var p in panels)
        {
            string title = p.GetProperty("title").GetString()!;
            Assert.Equal("alloclat-influxdb", p.GetProperty("datasource").GetProperty("uid").GetString());
            Assert.False(string.IsNullOrWhiteSpace(p.GetProperty("description").GetString()), title);
            Assert.False(string.IsNullOrWhiteSpace(p.GetProperty("fieldConfig").GetProperty("defaults").GetProperty("unit").GetString()), title);
            foreach (var t in p.GetProperty("targets").EnumerateArray())
            {
                string q = t.GetProperty("query").GetString()!;
                Assert.True(t.GetProperty("rawQuery").GetBoolean(), title);
                Assert.Contains("$timeFilter", q);
                // Fleet percentiles combine with max(), never with an average that would misstate them.
                Assert.DoesNotContain("mean(\"p", q);
                Assert.All(QueryExpander.VariablesIn(q), v => Assert.Contains(v, names));
            }
        }
    }

    private async Task<Dictionary<string, IReadOnlyList<string>>> VariablesAsync()
    {
        var values = new Dictionary<string, IReadOnlyList<string>>();
        using var doc = Dashboard();
        foreach (var v in doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            var series = await _db.Influx.QueryAsync(FleetDatabase.Database, QueryExpander.Expand(v.GetProperty("query").GetString()!, values));
            values[v.GetProperty("name").GetString()!] = series.SelectMany(s => s.Rows).Select(r => (string)r["value"]!).Distinct().Order(StringComparer.Ordinal).ToList();
        }
        return values;
    }
}
