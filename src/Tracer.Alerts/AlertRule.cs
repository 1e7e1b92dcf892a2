using Tracer.Core;

namespace Tracer.Alerts;

/// <summary>
/// One alert rule, evaluated per series every interval. The condition is <c>Field &gt; threshold</c>, where the
/// threshold is either fixed (<see cref="AbsoluteNs"/>) or <see cref="Factor"/> times the series' baseline: the
/// median of its own <see cref="Field"/> over the last <see cref="BaselineIntervals"/> intervals in which it had
/// calls and did not breach. The rule goes pending on the first breaching interval, fires after
/// <see cref="ForIntervals"/> consecutive ones, and a firing rule resolves only after <see cref="ResolveAfter"/>
/// consecutive intervals without a breach (an interval without calls counts as one without a breach).
/// </summary>
public sealed record AlertRule
{
    /// <summary>How many intervals a relative rule looks back when none is given.</summary>
    public const int DefaultBaselineIntervals = 30;

    /// <summary>Consecutive good intervals that resolve a firing rule when none is given.</summary>
    public const int DefaultResolveAfter = 3;

    /// <summary>Name written in the <c>rule</c> tag: the text before <c>:</c>, or the rule's text.</summary>
    public required string Name { get; init; }

    /// <summary>The rule as written (whitespace collapsed).</summary>
    public required string Expression { get; init; }

    public LatencyField Field { get; init; } = LatencyField.P999;

    /// <summary>Fixed threshold in nanoseconds; null for a relative rule.</summary>
    public long? AbsoluteNs { get; init; }

    /// <summary>Multiple of the baseline for a relative rule; null for a fixed threshold.</summary>
    public double? Factor { get; init; }

    public int BaselineIntervals { get; init; } = DefaultBaselineIntervals;

    /// <summary>Baseline samples needed before a relative rule judges a series: half the window, rounded up.</summary>
    public int BaselineMinSamples => Math.Max(1, (BaselineIntervals + 1) / 2);

    public int ForIntervals { get; init; } = 1;

    public int ResolveAfter { get; init; } = DefaultResolveAfter;

    public IReadOnlyList<AlertFilter> Filters { get; init; } = [];

    public bool IsRelative => Factor is not null;

    /// <summary>Whether the rule applies to <paramref name="series"/> (every filter matches).</summary>
    public bool Applies(SeriesSnapshot series, string host)
    {
        foreach (var f in Filters)
            if (!f.Matches(series, host))
                return false;
        return true;
    }

    /// <summary>The threshold this interval; null when a relative rule has too few baseline samples.</summary>
    public long? Threshold(long? baselineNs) =>
        AbsoluteNs ?? (baselineNs is long b ? (long)Math.Min(long.MaxValue, Math.Ceiling(Factor!.Value * b)) : null);

    public override string ToString() => Expression;
}
