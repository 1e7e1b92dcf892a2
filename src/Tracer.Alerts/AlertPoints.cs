using System.Globalization;
using System.Text;
using Tracer.Core;

namespace Tracer.Alerts;

/// <summary>
/// The <c>alert</c> measurement (docs/schema.md) and the one-line log form of a transition.
/// </summary>
public static class AlertPoints
{

    // The alert's own tags; a series tag of the same name is left out so these keep their meaning.
    private static readonly HashSet<string> s_ownTags = new(StringComparer.Ordinal) { Schema.Tags.Rule, Schema.Tags.State, Schema.Tags.Source, Schema.Tags.Field, Schema.Tags.Host };

    /// <summary>
    /// Tags: the series' tags, plus <c>rule</c>, <c>state</c> (pending, firing, resolved), <c>source</c> (the
    /// series' measurement) and <c>field</c> (p999, ...). Fields: <c>value</c>, <c>threshold</c>, <c>baseline</c>
    /// (relative rules only) in ns, <c>intervals</c>, <c>previous</c>, <c>expr</c>, <c>firing</c>.
    /// </summary>
    public static EventPoint ToPoint(AlertTransition t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var tags = new List<KeyValuePair<string, string>>(t.Tags.Count + 4)
        {
            new(Schema.Tags.Field, t.Rule.Field.Name()),
            new(Schema.Tags.Rule, t.Rule.Name),
            new(Schema.Tags.Source, t.Measurement),
            new(Schema.Tags.State, t.StateName),
        };
        foreach (var tag in t.Tags)
            if (!s_ownTags.Contains(tag.Key))
                tags.Add(tag);
        tags.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));

        var fields = new List<KeyValuePair<string, FieldValue>>(7)
        {
            new(Schema.Fields.Value, t.ValueNs),
            new(Schema.Fields.Threshold, t.ThresholdNs),
        };
        if (t.BaselineNs is long baseline)
            fields.Add(new(Schema.Fields.Baseline, baseline));
        fields.Add(new(Schema.Fields.Intervals, (long)t.Intervals));
        fields.Add(new(Schema.Fields.Previous, t.PreviousName));
        fields.Add(new(Schema.Fields.Expression, t.Rule.Expression));
        fields.Add(new(Schema.Fields.Firing, t.To == AlertState.Firing));
        return new EventPoint(Schema.Measurements.Alert, tags, fields) { Kind = EventKind.Alert };
    }

    /// <summary>
    /// <c>[ALERT] firing rule="slow" alloc_latency pid=42 comm=demo ...: p999 7.01ms &gt; 5ms for 3 intervals</c>.
    /// </summary>
    public static string LogLine(AlertTransition t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("[ALERT] ");
        sb.Append(t.StateName).Append(" rule=\"").Append(t.Rule.Name).Append("\" ").Append(t.Measurement);
        foreach (var tag in t.Tags)
            sb.Append(' ').Append(tag.Key).Append('=').Append(tag.Value);
        sb.Append(": ").Append(t.Rule.Field.Name()).Append(' ').Append(Quantity.FormatDuration(t.ValueNs));
        if (t.To == AlertState.Inactive)
            sb.Append(t.From == AlertState.Firing ? ", no breach for " : ", back under ")
                .Append(t.From == AlertState.Firing ? t.Intervals.ToString(ci) + " intervals" : Quantity.FormatDuration(Math.Max(1, t.ThresholdNs)));
        else
            sb.Append(" > ").Append(Quantity.FormatDuration(Math.Max(1, t.ThresholdNs))).Append(" for ").Append(t.Intervals.ToString(ci))
                .Append(t.Intervals == 1 ? " interval" : " intervals");
        if (t.BaselineNs is long b)
            sb.Append(" (baseline ").Append(Quantity.FormatDuration(Math.Max(1, b))).Append(')');
        return Clean(sb.ToString());
    }

    // Process names come from the kernel and may hold control characters; the log stays one line.
    private static string Clean(string text) =>
        string.Create(text.Length, text, static (span, s) =>
        {
            for (int i = 0; i < s.Length; i++)
                span[i] = char.IsControl(s[i]) ? '?' : s[i];
        });
}
