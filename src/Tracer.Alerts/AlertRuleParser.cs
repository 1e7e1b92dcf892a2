using System.Globalization;
using System.Text.RegularExpressions;
using Tracer.Core;

namespace Tracer.Alerts;

/// <summary>
/// Reads rules. The grammar, keywords case-insensitive:
/// <code>
/// [NAME:] FIELD &gt; THRESHOLD [for N intervals] [resolve after K intervals] [where] [KEY=VALUE | KEY!=VALUE] [and ...]
/// FIELD     p50 p90 p99 p999 (p99.9) p9999 (p99.99) max mean
/// THRESHOLD 250ns 800us 5ms 1s     fixed
///           4x baseline            4 times the series' trailing median over 30 intervals
///           4x baseline(60)        ... over 60 intervals
/// </code>
/// Examples: <c>p999 &gt; 5ms for 3 intervals</c>, <c>mmap-spike: p999 &gt; 4x baseline(20) for 2 intervals op=mmap</c>.
/// </summary>
public static partial class AlertRuleParser
{
    private const int MaxIntervals = 100_000;

    /// <summary>The longest threshold a rule takes: an hour.</summary>
    private const long MaxThresholdNs = 3_600_000_000_000;

    /// <summary>Parses one rule; throws <see cref="AlertRuleException"/> saying what is wrong.</summary>
    public static AlertRule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string expression = Whitespace().Replace(text.Trim(), " ");
        if (expression.Length == 0)
            throw new AlertRuleException("empty alert rule");

        string? name = null;
        string body = expression;
        int colon = expression.IndexOf(':');
        int gt = expression.IndexOf('>');
        if (colon >= 0 && (gt < 0 || colon < gt))
        {
            name = expression[..colon].Trim();
            body = expression[(colon + 1)..].Trim();
            if (name.Length == 0)
                throw new AlertRuleException($"alert rule '{expression}': empty name before ':'");
        }
        gt = body.IndexOf('>');
        if (gt < 0)
            throw new AlertRuleException($"alert rule '{expression}': expected FIELD > THRESHOLD, e.g. 'p999 > 5ms for 3 intervals'");

        string fieldText = body[..gt].Trim();
        if (!LatencyFields.TryParse(fieldText, out var field))
            throw new AlertRuleException($"alert rule '{expression}': unknown field '{fieldText}' (p50, p90, p99, p999, p9999, max, mean)");

        var tokens = new Queue<string>(Tokenize(body[(gt + 1)..]));
        var rule = new AlertRule { Name = name ?? expression, Expression = expression, Field = field };
        rule = ParseThreshold(expression, tokens, rule);

        var filters = new List<AlertFilter>();
        bool seenFor = false, seenResolve = false;
        while (tokens.Count > 0)
        {
            string token = tokens.Dequeue();
            switch (token.ToLowerInvariant())
            {
                case "for" when !seenFor:
                    rule = rule with { ForIntervals = Count(expression, "for", tokens) };
                    seenFor = true;
                    break;
                case "resolve" when !seenResolve:
                    if (tokens.Count == 0 || !tokens.Dequeue().Equals("after", StringComparison.OrdinalIgnoreCase))
                        throw new AlertRuleException($"alert rule '{expression}': expected 'resolve after K intervals'");
                    rule = rule with { ResolveAfter = Count(expression, "resolve after", tokens) };
                    seenResolve = true;
                    break;
                case "where" or "if" or "and" or ",":
                    break;
                default:
                    filters.Add(ParseFilter(expression, token));
                    break;
            }
        }
        return rule with { Filters = filters };
    }

    /// <summary>
    /// Parses a rule file: one rule per line, blank lines and <c>#</c> comments ignored. An error names the file
    /// and the line number.
    /// </summary>
    public static IReadOnlyList<AlertRule> ParseFile(string path, IEnumerable<string> lines)
    {
        var rules = new List<AlertRule>();
        int number = 0;
        foreach (var raw in lines)
        {
            number++;
            int hash = raw.IndexOf('#');
            string line = (hash >= 0 ? raw[..hash] : raw).Trim();
            if (line.Length == 0)
                continue;
            try
            {
                rules.Add(Parse(line));
            }
            catch (AlertRuleException e)
            {
                throw new AlertRuleException($"{path} line {number.ToString(CultureInfo.InvariantCulture)}: {e.Message}");
            }
        }
        return rules;
    }

    private static AlertRule ParseThreshold(string expression, Queue<string> tokens, AlertRule rule)
    {
        if (tokens.Count == 0)
            throw new AlertRuleException($"alert rule '{expression}': missing threshold after '>'");
        string first = tokens.Dequeue();
        if (Quantity.TryParseDurationNs(first, out long ns, requireUnit: true) && ns is >= 1 and <= MaxThresholdNs)
            return rule with { AbsoluteNs = ns };

        var m = Factor().Match(first);
        if (!m.Success)
            throw new AlertRuleException($"alert rule '{expression}': invalid threshold '{first}': expected a duration (5ms, 800us) or a factor (4x baseline)");
        double factor = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        if (factor <= 0 || !double.IsFinite(factor))
            throw new AlertRuleException($"alert rule '{expression}': the factor must be positive");
        string baseline = m.Groups[2].Success && m.Groups[2].Value.Length > 0 ? m.Groups[2].Value
            : tokens.Count > 0 ? tokens.Dequeue() : "";
        var b = Baseline().Match(baseline);
        if (!b.Success)
            throw new AlertRuleException($"alert rule '{expression}': expected 'baseline' or 'baseline(N)' after '{first}'");
        int window = AlertRule.DefaultBaselineIntervals;
        if (b.Groups[1].Success && (!int.TryParse(b.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out window) || window < 1 || window > MaxIntervals))
            throw new AlertRuleException($"alert rule '{expression}': the baseline window must be 1 to {MaxIntervals} intervals");
        return rule with { Factor = factor, BaselineIntervals = window };
    }

    private static int Count(string expression, string keyword, Queue<string> tokens)
    {
        if (tokens.Count == 0 || !int.TryParse(tokens.Dequeue(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > MaxIntervals)
            throw new AlertRuleException($"alert rule '{expression}': expected '{keyword} N intervals' with N from 1 to {MaxIntervals}");
        if (tokens.Count > 0 && tokens.Peek().ToLowerInvariant() is "interval" or "intervals")
            tokens.Dequeue();
        return n;
    }

    private static AlertFilter ParseFilter(string expression, string token)
    {
        int ne = token.IndexOf("!=", StringComparison.Ordinal);
        int eq = token.IndexOf('=');
        bool negated = ne >= 0 && ne < eq;
        int split = negated ? ne : eq;
        if (split <= 0 || split + (negated ? 2 : 1) >= token.Length)
            throw new AlertRuleException($"alert rule '{expression}': unexpected '{token}': expected 'for N intervals', 'resolve after K intervals' or a filter KEY=VALUE");
        return new AlertFilter(token[..split], token[(split + (negated ? 2 : 1))..], negated);
    }

    /// <summary>Splits on spaces, keeping a comma between filters as its own token.</summary>
    private static IEnumerable<string> Tokenize(string text)
    {
        foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var pieces = part.Split(',');
            for (int i = 0; i < pieces.Length; i++)
            {
                if (i > 0)
                    yield return ",";
                if (pieces[i].Length > 0)
                    yield return pieces[i];
            }
        }
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)[xX](.*)$")]
    private static partial Regex Factor();

    [GeneratedRegex(@"^(?i:baseline)(?:\((\d+)\))?$")]
    private static partial Regex Baseline();
}
