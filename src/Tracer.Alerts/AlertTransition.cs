namespace Tracer.Alerts;

/// <summary>
/// A rule changed state for one series at the end of an interval. <see cref="To"/> is
/// <see cref="AlertState.Inactive"/> for a resolution (from pending or from firing).
/// </summary>
/// <param name="Rule">The rule.</param>
/// <param name="Measurement">The series' measurement (<c>alloc_latency</c>, <c>gc_pause</c>).</param>
/// <param name="Tags">The series' tags, sorted by key, without host.</param>
/// <param name="Host">The snapshot's host.</param>
/// <param name="From">State before the interval.</param>
/// <param name="To">State after it.</param>
/// <param name="ValueNs">The field's value in the interval; for a resolution the last value seen, 0 if none.</param>
/// <param name="ThresholdNs">The threshold the value was compared with (for a relative rule, factor times baseline).</param>
/// <param name="BaselineNs">The baseline of a relative rule; null for a fixed threshold.</param>
/// <param name="Intervals">Consecutive breaching intervals (pending, firing) or good intervals (resolved).</param>
/// <param name="TimestampUnixNs">End of the interval.</param>
public sealed record AlertTransition(
    AlertRule Rule,
    string Measurement,
    IReadOnlyList<KeyValuePair<string, string>> Tags,
    string Host,
    AlertState From,
    AlertState To,
    long ValueNs,
    long ThresholdNs,
    long? BaselineNs,
    int Intervals,
    long TimestampUnixNs)
{
    /// <summary>The state as written in the <c>state</c> tag: <c>pending</c>, <c>firing</c> or <c>resolved</c>.</summary>
    public string StateName => StateText(To);

    /// <summary>Whether a notification channel (webhook) should hear of it: firing, and resolved after firing.</summary>
    public bool IsNotification => To == AlertState.Firing || (To == AlertState.Inactive && From == AlertState.Firing);

    public static string StateText(AlertState state) => state switch
    {
        AlertState.Pending => "pending",
        AlertState.Firing => "firing",
        _ => "resolved",
    };

    /// <summary>The previous state as written in the <c>previous</c> field (<c>inactive</c>, <c>pending</c>, <c>firing</c>).</summary>
    public string PreviousName => From switch
    {
        AlertState.Pending => "pending",
        AlertState.Firing => "firing",
        _ => "inactive",
    };
}
