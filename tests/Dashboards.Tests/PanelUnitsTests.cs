using System.Text.Json;
using Tracer.Core;

namespace Dashboards.Tests;

/// <summary>Each panel's units: set where Grafana reads them, and stated in the panel's description.</summary>
public sealed class PanelUnitsTests
{
    /// <summary>How a description names each unit the dashboard uses.</summary>
    private static readonly Dictionary<string, string> UnitWords = new(StringComparer.Ordinal)
    {
        ["ns"] = "nanoseconds",
        ["bytes"] = "bytes",
        ["Bps"] = "bytes per second",
        ["ops"] = "per second",
        ["short"] = "count",
        ["none"] = "plain number",
    };

    private static JsonElement Panel(JsonDocument doc, string type, string titleStart) =>
        doc.RootElement.GetProperty("panels").EnumerateArray()
            .Single(p => p.GetProperty("type").GetString() == type && p.GetProperty("title").GetString()!.StartsWith(titleStart, StringComparison.Ordinal));

    [Fact]
    public void EveryPanelDescription_StatesItsUnits()
    {
        foreach (var file in Directory.GetFiles(Repo.Path("dashboards"), "*.json"))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            AssertDescriptionsStateUnits(doc);
        }
    }

    private static void AssertDescriptionsStateUnits(JsonDocument doc)
    {
        foreach (var p in doc.RootElement.GetProperty("panels").EnumerateArray())
        {
            string title = p.GetProperty("title").GetString()!;
            string description = p.GetProperty("description").GetString()!;
            Assert.Contains("unit", description, StringComparison.OrdinalIgnoreCase);
            foreach (var unit in GrafanaFields.UnitsOf(p).Distinct())
            {
                Assert.True(UnitWords.TryGetValue(unit, out var words), $"{title}: unit {unit} has no agreed wording");
                // "none" on the spike table's tid and faults: "a count" or "a plain number".
                if (unit == "none")
                    Assert.True(description.Contains("plain number", StringComparison.Ordinal) || description.Contains("a count", StringComparison.Ordinal), title);
                else
                    Assert.True(description.Contains(words, StringComparison.Ordinal), $"{title}: unit {unit}, description does not say \"{words}\": {description}");
            }
        }
    }

    [Fact]
    public void Heatmap_NamesEverySizeClassByItsByteCount_WithAByteAxis()
    {
        using var doc = Repo.Dashboard();
        var heatmap = Panel(doc, "heatmap", "p99.9 heatmap");
        Assert.Equal("$tag_size_class", Assert.Single(heatmap.GetProperty("targets").EnumerateArray()).GetProperty("alias").GetString());
        for (int e = 0; e < 64; e++)
        {
            string label = SizeClass.Label((byte)e);
            string renamed = GrafanaFields.Rename(heatmap, label);
            Assert.Equal((1UL << e).ToString(System.Globalization.CultureInfo.InvariantCulture), renamed);
            Assert.Equal(Math.Pow(2, e), GrafanaFields.ParseFloat(renamed));
        }
        var options = heatmap.GetProperty("options");
        Assert.False(options.GetProperty("calculate").GetBoolean());
        Assert.Equal("bytes", options.GetProperty("yAxis").GetProperty("unit").GetString());
        Assert.Equal("ns", options.GetProperty("cellValues").GetProperty("unit").GetString());
        Assert.Equal("ns", heatmap.GetProperty("fieldConfig").GetProperty("defaults").GetProperty("unit").GetString());
    }

    [Fact]
    public void SpikeTable_ColumnsHaveTheirOwnUnits()
    {
        using var doc = Repo.Dashboard();
        var table = Panel(doc, "table", "Recent spikes");
        foreach (var (column, unit) in SpikeColumnUnits)
            Assert.Equal(unit, GrafanaFields.Unit(table, column));
        // A new duration field named like the others gets nanoseconds; anything else is a plain number, not a duration.
        Assert.Equal("ns", GrafanaFields.Unit(table, "swap_ns"));
        Assert.Equal("none", GrafanaFields.Unit(table, "new_count"));
    }

    [Fact]
    public void LargeObjectPanel_RateInBytesPerSecond_SizeInBytes()
    {
        using var doc = Repo.Dashboard();
        var panel = Panel(doc, "timeseries", "Large-object allocations");
        // Series are named by the alias "$tag_comm $tag_pid $tag_kind $col".
        Assert.Equal("$tag_comm $tag_pid $tag_kind $col", panel.GetProperty("targets")[0].GetProperty("alias").GetString());
        Assert.Equal("Bps", GrafanaFields.Unit(panel, "gcwork 4242 large bytes/s"));
        Assert.Equal("bytes", GrafanaFields.Unit(panel, "gcwork 4242 pinned largest"));
    }

    /// <summary>The numeric alloc_spike fields of docs/schema.md and what each one is.</summary>
    public static readonly IReadOnlyDictionary<string, string> SpikeColumnUnits = new Dictionary<string, string>
    {
        ["latency"] = "ns",
        ["reclaim_ns"] = "ns",
        ["compaction_ns"] = "ns",
        ["on_cpu_ns"] = "ns",
        ["off_cpu_ns"] = "ns",
        ["runqueue_ns"] = "ns",
        ["blocked_ns"] = "ns",
        ["io_ns"] = "ns",
        ["swapin_ns"] = "ns",
        ["thrashing_ns"] = "ns",
        ["mmap_lock_ns"] = "ns",
        ["size"] = "bytes",
        ["faults"] = "none",
        ["major_faults"] = "none",
        ["voluntary_switches"] = "none",
        ["involuntary_switches"] = "none",
        ["tid"] = "none",
    };

    [Fact]
    public void SpikeColumnUnits_CoverEveryNumericFieldOfTheSchema()
    {
        // The "| field | meaning |" table of the alloc_spike section; string and boolean fields are not numbers.
        string schema = File.ReadAllText(Repo.Path("docs", "schema.md"));
        int start = schema.IndexOf("## `alloc_spike`", StringComparison.Ordinal);
        int end = schema.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var lines = schema[start..end].Split('\n');
        int header = Array.FindIndex(lines, l => l.StartsWith("| field | meaning |", StringComparison.Ordinal));
        Assert.True(header > 0, "no field table in the alloc_spike section");
        var fields = new List<string>();
        foreach (var line in lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')))
        {
            string cell = line.Split('|')[1];
            if (cell.Contains("(string)", StringComparison.Ordinal) || cell.Contains("(boolean)", StringComparison.Ordinal))
                continue;
            fields.AddRange(System.Text.RegularExpressions.Regex.Matches(cell, "`([a-z_]+)`").Select(m => m.Groups[1].Value));
        }
        Assert.Contains("latency", fields);
        Assert.All(fields, f => Assert.Contains(f, SpikeColumnUnits.Keys));
    }
}

/// <summary>The same, on what the panels' queries return from the traced database.</summary>
[Collection(TracedCollection.Name)]
public sealed class PanelUnitsOnDataTests(TracedDatabase db)
{
    [Fact]
    public async Task HeatmapRows_AreNumeric_AndSortBySize()
    {
        using var doc = Repo.Dashboard();
        var heatmap = doc.RootElement.GetProperty("panels").EnumerateArray().Single(p => p.GetProperty("type").GetString() == "heatmap");
        string query = heatmap.GetProperty("targets")[0].GetProperty("query").GetString()!;
        var series = await db.Influx.QueryAsync(TracedDatabase.Database, QueryExpander.ExpandAll(query));
        // The alias $tag_size_class names each series by its tag; the transformations turn that into bytes.
        var labels = series.Select(s => s.Tags["size_class"]).ToList();
        Assert.True(labels.Count >= 4, string.Join(",", labels));
        var names = labels.Select(l => GrafanaFields.Rename(heatmap, l)).ToList();
        Assert.All(names, n => Assert.False(double.IsNaN(GrafanaFields.ParseFloat(n)), n));
        var bySize = labels.OrderBy(l => SizeClassBytes(l)).ToList();
        Assert.Equal(bySize, labels.OrderBy(l => GrafanaFields.ParseFloat(GrafanaFields.Rename(heatmap, l))).ToList());
        // Without the renaming, Grafana's numeric test passes too (parseFloat("64K") is 64) and sorts wrongly.
        Assert.NotEqual(bySize, labels.OrderBy(GrafanaFields.ParseFloat).ThenBy(l => l, StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task SpikeTable_EveryNumericColumn_HasTheUnitOfWhatItIs()
    {
        using var doc = Repo.Dashboard();
        var table = doc.RootElement.GetProperty("panels").EnumerateArray().Single(p => p.GetProperty("title").GetString() == "Recent spikes");
        string query = table.GetProperty("targets")[0].GetProperty("query").GetString()!;
        var series = await db.Influx.QueryAsync(TracedDatabase.Database, QueryExpander.ExpandAll(query));
        var numeric = series.SelectMany(s => s.Rows).SelectMany(r => r).Where(kv => kv.Key != "time" && kv.Value is long or double)
            .Select(kv => kv.Key).Distinct().ToList();
        Assert.Contains("latency", numeric);
        Assert.Contains("size", numeric);
        foreach (var column in numeric)
        {
            Assert.True(PanelUnitsTests.SpikeColumnUnits.TryGetValue(column, out var expected), $"column {column} is not in the schema's list");
            Assert.Equal(expected, GrafanaFields.Unit(table, column));
        }
    }

    private static ulong SizeClassBytes(string label)
    {
        for (int e = 0; e < 64; e++)
            if (SizeClass.Label((byte)e) == label)
                return 1UL << e;
        throw new InvalidOperationException(label);
    }
}
