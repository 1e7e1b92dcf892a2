using System.Text.Json;
using System.Text.RegularExpressions;

namespace Dashboards.Tests;

/// <summary>
/// What Grafana does with a panel's field names and units, for the parts this dashboard uses: the
/// <c>renameByRegex</c> transformation, field-config overrides matched <c>byName</c> or <c>byRegexp</c> (the last
/// matching override wins, over the panel default), and the heatmap's test for numeric row names
/// (<c>allNamesNumeric</c> in the heatmap panel's fields.ts: JavaScript's <c>parseFloat</c> of each name is not NaN).
/// </summary>
internal static partial class GrafanaFields
{
    /// <summary>The name after the panel's renameByRegex transformations, applied in order.</summary>
    public static string Rename(JsonElement panel, string name)
    {
        if (!panel.TryGetProperty("transformations", out var transformations))
            return name;
        foreach (var t in transformations.EnumerateArray())
        {
            if (t.GetProperty("id").GetString() != "renameByRegex")
                continue;
            var options = t.GetProperty("options");
            var regex = new Regex(options.GetProperty("regex").GetString()!);
            if (regex.IsMatch(name))
                name = regex.Replace(name, options.GetProperty("renamePattern").GetString()!);
        }
        return name;
    }

    /// <summary>The unit Grafana gives field <paramref name="name"/> of <paramref name="panel"/>.</summary>
    public static string? Unit(JsonElement panel, string name)
    {
        var config = panel.GetProperty("fieldConfig");
        string? unit = config.GetProperty("defaults").TryGetProperty("unit", out var u) ? u.GetString() : null;
        foreach (var o in config.GetProperty("overrides").EnumerateArray())
        {
            var matcher = o.GetProperty("matcher");
            string id = matcher.GetProperty("id").GetString()!;
            string option = matcher.GetProperty("options").GetString()!;
            bool match = id switch
            {
                "byName" => option == name,
                "byRegexp" => new Regex(option).IsMatch(name),
                _ => throw new NotSupportedException($"matcher {id}"),
            };
            if (!match)
                continue;
            foreach (var p in o.GetProperty("properties").EnumerateArray())
                if (p.GetProperty("id").GetString() == "unit")
                    unit = p.GetProperty("value").GetString();
        }
        return unit;
    }

    /// <summary>Every unit a panel can show: default, overrides, heatmap axis and cells.</summary>
    public static IEnumerable<string> UnitsOf(JsonElement panel)
    {
        var config = panel.GetProperty("fieldConfig");
        if (config.GetProperty("defaults").TryGetProperty("unit", out var u))
            yield return u.GetString()!;
        foreach (var o in config.GetProperty("overrides").EnumerateArray())
            foreach (var p in o.GetProperty("properties").EnumerateArray())
                if (p.GetProperty("id").GetString() == "unit")
                    yield return p.GetProperty("value").GetString()!;
        if (panel.TryGetProperty("options", out var options))
            foreach (var part in (string[])["yAxis", "cellValues"])
                if (options.TryGetProperty(part, out var o) && o.TryGetProperty("unit", out var pu))
                    yield return pu.GetString()!;
    }

    /// <summary>JavaScript's <c>parseFloat</c>: the longest leading decimal number, NaN when there is none.</summary>
    public static double ParseFloat(string text)
    {
        var m = LeadingNumber().Match(text.TrimStart());
        return m.Success ? double.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;
    }

    [GeneratedRegex(@"^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)")]
    private static partial Regex LeadingNumber();
}
