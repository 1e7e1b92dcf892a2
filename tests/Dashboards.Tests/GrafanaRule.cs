using System.Globalization;

namespace Dashboards.Tests;

/// <summary>
/// One provisioned Grafana alert rule in the shape this repository uses: query A (InfluxQL, its
/// <c>relativeTimeRange</c> is the window), B reduces A per series, C compares B with a threshold; the group's
/// <c>interval</c> spaces the evaluations and <c>for</c> is the pending period.
/// </summary>
internal sealed record GrafanaRule(
    string Uid, string Query, TimeSpan Window, string Reducer, string ReduceMode, string ThresholdType, double Threshold,
    TimeSpan For, TimeSpan Interval)
{
    public static GrafanaRule Load(string uid)
    {
        foreach (var group in Provisioning.List(Provisioning.Load("alerting", "alloclat-rules.yaml")["groups"]).Select(Provisioning.Map))
            foreach (var rule in Provisioning.List(group["rules"]).Select(Provisioning.Map))
                if ((string)rule["uid"] == uid)
                    return From(rule, Duration((string)group["interval"]));
        throw new InvalidOperationException($"no rule {uid}");
    }

    private static GrafanaRule From(Dictionary<object, object> rule, TimeSpan interval)
    {
        var data = Provisioning.List(rule["data"]).Select(Provisioning.Map).ToDictionary(d => (string)d["refId"]);
        var condition = Provisioning.Map(data[(string)rule["condition"]]["model"]);
        if ((string)condition["type"] != "threshold")
            throw new InvalidOperationException("the condition must be a threshold expression");
        var reduce = Provisioning.Map(data[(string)condition["expression"]]["model"]);
        if ((string)reduce["type"] != "reduce")
            throw new InvalidOperationException("the threshold must read a reduce expression");
        var queryNode = data[(string)reduce["expression"]];
        var query = Provisioning.Map(queryNode["model"]);
        var range = Provisioning.Map(queryNode["relativeTimeRange"]);
        if (int.Parse(range["to"].ToString()!, CultureInfo.InvariantCulture) != 0)
            throw new InvalidOperationException("windows ending before now are not modelled");
        var evaluator = Provisioning.Map(Provisioning.Map(Assert.Single(Provisioning.List(condition["conditions"])))["evaluator"]);
        var mode = reduce.TryGetValue("settings", out var s) && Provisioning.Map(s).TryGetValue("mode", out var m) ? (string)m : "strict";
        return new GrafanaRule((string)rule["uid"], (string)query["query"],
            TimeSpan.FromSeconds(int.Parse(range["from"].ToString()!, CultureInfo.InvariantCulture)),
            (string)reduce["reducer"], mode, (string)evaluator["type"],
            double.Parse(Provisioning.List(evaluator["params"])[0].ToString()!, CultureInfo.InvariantCulture),
            rule.TryGetValue("for", out var f) ? Duration((string)f) : TimeSpan.Zero, interval);
    }

    /// <summary>Grafana's durations in these files: <c>30s</c>, <c>2m</c>, <c>1h</c>.</summary>
    public static TimeSpan Duration(string text)
    {
        long n = long.Parse(text[..^1], CultureInfo.InvariantCulture);
        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            _ => throw new FormatException($"duration '{text}'"),
        };
    }
}
