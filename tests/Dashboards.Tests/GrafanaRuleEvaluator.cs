using System.Globalization;
using Tracer.TestSupport;

namespace Dashboards.Tests;

/// <summary>Alert state of one label set after an evaluation, as Grafana names them.</summary>
internal enum AlertState { Normal, Pending, Alerting }

/// <summary>One evaluation's outcome for one label set (host and comm here).</summary>
internal sealed record RuleEvaluation(DateTimeOffset At, string Labels, double? Value, bool Breach, AlertState State);

/// <summary>
/// Replays a <see cref="GrafanaRule"/> over data already in the database, evaluation by evaluation, with
/// Grafana's documented semantics:
/// <list type="bullet">
/// <item>at each evaluation time T (one every <c>interval</c>), query A runs with <c>$timeFilter</c> covering
///   [T - relativeTimeRange.from, T], written as the InfluxDB datasource writes it (<c>time &gt;= …ms and time &lt;= …ms</c>);</item>
/// <item>reduce turns each series into one number: <c>min</c>, <c>max</c>, <c>mean</c>, <c>sum</c>, <c>count</c>,
///   <c>last</c>; mode <c>dropNN</c> drops null and NaN values first (strict mode: any null makes the result NaN);</item>
/// <item>threshold <c>gt</c>/<c>lt</c> compares strictly;</item>
/// <item>pending period <c>for</c>: a breaching label set goes Normal → Pending (Alerting at once when <c>for</c> is 0),
///   Pending → Alerting at the first breaching evaluation at least <c>for</c> after the one that made it pending; any
///   evaluation without a breach returns it to Normal. A label set without data is Normal (the rules say
///   <c>noDataState: OK</c>).</item>
/// </list>
/// </summary>
internal static class GrafanaRuleEvaluator
{
    public static async Task<IReadOnlyList<RuleEvaluation>> EvaluateAsync(
        InfluxDb1Fixture db, string database, GrafanaRule rule, DateTimeOffset first, DateTimeOffset last, string? extraFilter = null)
    {
        var results = new List<RuleEvaluation>();
        var states = new Dictionary<string, (AlertState State, DateTimeOffset Since)>(StringComparer.Ordinal);
        for (var t = first; t <= last; t += rule.Interval)
        {
            string filter = $"time >= {(t - rule.Window).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}ms and time <= "
                + $"{t.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}ms" + (extraFilter is null ? "" : " AND " + extraFilter);
            var series = await db.QueryAsync(database, rule.Query.Replace("$timeFilter", filter, StringComparison.Ordinal));
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var s in series)
            {
                string labels = string.Join(",", s.Tags.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));
                seen.Add(labels);
                double? value = Reduce(rule, s.Values.Select(row => row[1] is null ? (double?)null : Convert.ToDouble(row[1], CultureInfo.InvariantCulture)));
                bool breach = value is { } v && !double.IsNaN(v) && (rule.ThresholdType switch
                {
                    "gt" => v > rule.Threshold,
                    "lt" => v < rule.Threshold,
                    _ => throw new NotSupportedException($"threshold type {rule.ThresholdType}"),
                });
                var (state, since) = states.TryGetValue(labels, out var st) ? st : (AlertState.Normal, t);
                if (!breach)
                    (state, since) = (AlertState.Normal, t);
                else if (state == AlertState.Normal)
                    (state, since) = (rule.For == TimeSpan.Zero ? AlertState.Alerting : AlertState.Pending, t);
                else if (state == AlertState.Pending && t - since >= rule.For)
                    state = AlertState.Alerting;
                states[labels] = (state, since);
                results.Add(new RuleEvaluation(t, labels, value, breach, state));
            }
            foreach (var labels in states.Keys.Where(k => !seen.Contains(k)).ToList())
            {
                states[labels] = (AlertState.Normal, t);
                results.Add(new RuleEvaluation(t, labels, null, false, AlertState.Normal));
            }
        }
        return results;
    }

    private static double? Reduce(GrafanaRule rule, IEnumerable<double?> values)
    {
        var list = values.ToList();
        if (rule.ReduceMode == "dropNN")
            list = list.Where(v => v is { } x && !double.IsNaN(x)).ToList();
        else if (list.Any(v => v is null))
            return double.NaN;
        var xs = list.Select(v => v!.Value).ToList();
        if (xs.Count == 0)
            return rule.Reducer == "count" ? 0 : double.NaN;
        return rule.Reducer switch
        {
            "min" => xs.Min(),
            "max" => xs.Max(),
            "mean" => xs.Average(),
            "sum" => xs.Sum(),
            "count" => xs.Count,
            "last" => xs[^1],
            _ => throw new NotSupportedException($"reducer {rule.Reducer}"),
        };
    }
}
