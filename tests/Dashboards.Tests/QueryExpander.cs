using System.Text;
using System.Text.RegularExpressions;

namespace Dashboards.Tests;

/// <summary>
/// Expands a panel's InfluxQL the way Grafana's InfluxDB datasource does: <c>$timeFilter</c> to a relative time
/// condition, <c>$__interval</c> and <c>$__interval_ms</c> to the bucket width, and template variables to a regex
/// alternation of their values (each value regex-escaped, as Grafana does for <c>=~ /^$var$/</c>).
/// </summary>
internal static partial class QueryExpander
{
    public const string TimeFilter = "time > now() - 1h";
    public const string Interval = "1s";
    public const string IntervalMs = "1000";

    public static readonly HashSet<string> BuiltIns = ["timeFilter", "__interval", "__interval_ms", "tag_comm", "tag_allocator",
        "tag_op", "tag_size_class", "tag_host", "tag_runtime", "tag_reason", "tag_generation", "tag_pid", "tag_kind", "col"];

    public static string Expand(string query, IReadOnlyDictionary<string, IReadOnlyList<string>> variables)
    {
        var result = query.Replace("$timeFilter", TimeFilter, StringComparison.Ordinal)
            .Replace("$__interval_ms", IntervalMs, StringComparison.Ordinal)
            .Replace("$__interval", Interval, StringComparison.Ordinal);
        return Variable().Replace(result, m =>
        {
            string name = m.Groups[1].Value;
            if (!variables.TryGetValue(name, out var values))
                throw new InvalidOperationException($"variable ${name} is not defined (query: {query})");
            return "(" + string.Join('|', values.Select(EscapeRegex)) + ")";
        });
    }

    /// <summary>As <see cref="Expand"/> with every template variable at "All" (Grafana's allValue <c>.*</c>).</summary>
    public static string ExpandAll(string query)
    {
        var result = query.Replace("$timeFilter", TimeFilter, StringComparison.Ordinal)
            .Replace("$__interval_ms", IntervalMs, StringComparison.Ordinal)
            .Replace("$__interval", Interval, StringComparison.Ordinal);
        return Variable().Replace(result, ".*");
    }

    /// <summary>The variables a query refers to (without built-ins).</summary>
    public static IEnumerable<string> VariablesIn(string text) =>
        Variable().Matches(text).Select(m => m.Groups[1].Value).Where(v => !BuiltIns.Contains(v)).Distinct();

    private static string EscapeRegex(string value)
    {
        var sb = new StringBuilder();
        foreach (char c in value)
        {
            if ("\\^$.|?*+()[]{}/".Contains(c))
                sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"\$(\w+)")]
    private static partial Regex Variable();
}
