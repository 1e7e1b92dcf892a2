using System.Text.Json;

namespace Dashboards.Tests;

/// <summary>The dashboard JSON is complete: every panel can be drawn and every query refers to what exists.</summary>
public sealed class DashboardStructureTests
{
    private static readonly JsonElement s_root = Repo.Dashboard().RootElement;

    private static IEnumerable<JsonElement> Panels => s_root.GetProperty("panels").EnumerateArray();

    private static HashSet<string> VariableNames =>
        s_root.GetProperty("templating").GetProperty("list").EnumerateArray().Select(v => v.GetProperty("name").GetString()!).ToHashSet();

    [Fact]
    public void PanelIds_AreUnique()
    {
        var ids = Panels.Select(p => p.GetProperty("id").GetInt32()).ToList();
        Assert.True(ids.Count >= 10, $"{ids.Count} panels");
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void EveryPanel_HasDatasourceQueryUnitAndDescription()
    {
        foreach (var p in Panels)
        {
            string title = p.GetProperty("title").GetString()!;
            Assert.Equal("alloclat-influxdb", p.GetProperty("datasource").GetProperty("uid").GetString());
            Assert.Equal("influxdb", p.GetProperty("datasource").GetProperty("type").GetString());
            Assert.False(string.IsNullOrWhiteSpace(p.GetProperty("description").GetString()), title);
            Assert.False(string.IsNullOrWhiteSpace(p.GetProperty("fieldConfig").GetProperty("defaults").GetProperty("unit").GetString()), title);
            var targets = p.GetProperty("targets").EnumerateArray().ToList();
            Assert.NotEmpty(targets);
            foreach (var t in targets)
            {
                Assert.True(t.GetProperty("rawQuery").GetBoolean(), title);
                Assert.StartsWith("SELECT ", t.GetProperty("query").GetString());
                Assert.Contains("$timeFilter", t.GetProperty("query").GetString());
            }
        }
    }

    [Fact]
    public void LatencyPanels_ShowDurations_AndCombineWithMax()
    {
        foreach (var p in Panels)
        {
            string query = string.Join("\n", p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("query").GetString()));
            Assert.DoesNotContain("mean(\"p", query);
            Assert.DoesNotContain("median(\"p", query);
            if (query.Contains("(\"p999\")", StringComparison.Ordinal))
            {
                Assert.Contains("max(\"p999\")", query);
                Assert.Equal("ns", p.GetProperty("fieldConfig").GetProperty("defaults").GetProperty("unit").GetString());
            }
        }
    }

    [Fact]
    public void EveryVariableUsed_IsDefined_AndVariablesChain()
    {
        var defined = VariableNames;
        Assert.Equal(["host", "comm", "allocator", "op", "size_class"],
            s_root.GetProperty("templating").GetProperty("list").EnumerateArray().Select(v => v.GetProperty("name").GetString()));
        foreach (var p in Panels)
            foreach (var t in p.GetProperty("targets").EnumerateArray())
                foreach (var v in QueryExpander.VariablesIn(t.GetProperty("query").GetString()! + " " + (t.TryGetProperty("alias", out var a) ? a.GetString() : "")))
                    Assert.Contains(v, defined);

        // Each variable's query is filtered by every variable before it, and by no later one.
        var order = s_root.GetProperty("templating").GetProperty("list").EnumerateArray().ToList();
        for (int i = 0; i < order.Count; i++)
        {
            var used = QueryExpander.VariablesIn(order[i].GetProperty("query").GetString()!).ToHashSet();
            var before = order.Take(i).Select(v => v.GetProperty("name").GetString()!).ToHashSet();
            Assert.True(used.SetEquals(before), $"{order[i].GetProperty("name")}: uses {string.Join(",", used)}");
            Assert.StartsWith("SHOW TAG VALUES", order[i].GetProperty("query").GetString());
        }
    }

    [Fact]
    public void Defaults_Last15Minutes_Refresh10s()
    {
        Assert.Equal("now-15m", s_root.GetProperty("time").GetProperty("from").GetString());
        Assert.Equal("now", s_root.GetProperty("time").GetProperty("to").GetString());
        Assert.Equal("10s", s_root.GetProperty("refresh").GetString());
        Assert.Equal("alloclat-overview", s_root.GetProperty("uid").GetString());
    }

    [Fact]
    public void RequiredPanels_ArePresent()
    {
        var queries = Panels.SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("query").GetString()!).ToList();
        Assert.Contains(queries, q => q.Contains("FROM \"gc_pause\"", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("FROM \"alloc_spike\"", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("FROM \"alloclat_stats\"", StringComparison.Ordinal) && q.Contains("sink_dropped", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("sum(\"bytes\")", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("sum(\"count\")", StringComparison.Ordinal));
        Assert.Contains(Panels, p => p.GetProperty("type").GetString() == "heatmap");
        Assert.Contains(Panels, p => p.GetProperty("title").GetString()!.Contains("Top processes", StringComparison.Ordinal));
    }
}
