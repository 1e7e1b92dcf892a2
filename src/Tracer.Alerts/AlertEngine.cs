using System.Text;
using Tracer.Core;

namespace Tracer.Alerts;

/// <summary>
/// Evaluates rules on every latency series of every snapshot and reports state changes. Not thread-safe: the
/// record loop calls <see cref="Evaluate"/> once per interval, in order.
/// </summary>
/// <remarks>
/// Per rule and series (measurement plus tags): a breaching interval moves inactive to pending (or straight to
/// firing when the rule needs one interval) and pending to firing once <see cref="AlertRule.ForIntervals"/>
/// consecutive intervals breached; an interval with calls and no breach ends a pending state at once. A firing
/// state resolves after <see cref="AlertRule.ResolveAfter"/> consecutive intervals without a breach, so one
/// quiet interval inside a slow period does not end it and start it again. An interval in which the series had
/// no calls leaves a pending state as it is (there is nothing to judge) and counts as good for a firing one
/// (nothing was slow). State of a series absent for <see cref="ForgetAfterIntervals"/> intervals is dropped.
/// </remarks>
public sealed class AlertEngine
{
    /// <summary>Intervals without calls after which an inactive series' state (and baseline) is forgotten.</summary>
    public const int ForgetAfterIntervals = 600;

    private readonly IReadOnlyList<AlertRule> _rules;
    private readonly Dictionary<string, SeriesState> _states = new(StringComparer.Ordinal);
    private long _tick;

    public AlertEngine(IReadOnlyList<AlertRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = rules;
    }

    public IReadOnlyList<AlertRule> Rules => _rules;

    /// <summary>Series states currently held (for tests and diagnostics).</summary>
    public int TrackedSeries => _states.Count;

    /// <summary>Judges one interval; returns the transitions it caused, in a stable order.</summary>
    public IReadOnlyList<AlertTransition> Evaluate(IntervalSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _tick++;
        var transitions = new List<AlertTransition>();
        if (_rules.Count == 0)
            return transitions;

        foreach (var series in snapshot.Series)
        {
            for (int r = 0; r < _rules.Count; r++)
            {
                var rule = _rules[r];
                if (!rule.Applies(series, snapshot.Host))
                    continue;
                string key = Key(r, series);
                if (!_states.TryGetValue(key, out var state))
                    _states[key] = state = new SeriesState(rule, series.Measurement, SortedTags(series.Tags));
                state.LastSeen = _tick;
                if (state.Observe(rule.Field.Of(series.Stats)) is { } change)
                    transitions.Add(Transition(state, change, snapshot));
            }
        }

        List<string>? forget = null;
        foreach (var (key, state) in _states.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (state.LastSeen == _tick)
                continue;
            if (state.Absent() is { } change)
                transitions.Add(Transition(state, change, snapshot));
            if (state.State == AlertState.Inactive && _tick - state.LastSeen >= ForgetAfterIntervals)
                (forget ??= []).Add(key);
        }
        if (forget is not null)
            foreach (var key in forget)
                _states.Remove(key);
        return transitions;
    }

    private static AlertTransition Transition(SeriesState s, SeriesState.Change c, IntervalSnapshot snapshot) =>
        new(s.Rule, s.Measurement, s.Tags, snapshot.Host, c.From, c.To, c.ValueNs, c.ThresholdNs, s.Rule.IsRelative ? c.BaselineNs : null,
            c.Intervals, snapshot.EndUnixNs);

    private static string Key(int rule, SeriesSnapshot series)
    {
        var sb = new StringBuilder();
        sb.Append(rule).Append('\0').Append(series.Measurement);
        foreach (var (k, v) in SortedTags(series.Tags))
            sb.Append('\0').Append(k).Append('=').Append(v);
        return sb.ToString();
    }

    private static IReadOnlyList<KeyValuePair<string, string>> SortedTags(IReadOnlyList<KeyValuePair<string, string>> tags) =>
        tags.Where(t => t.Key != Schema.Tags.Host).OrderBy(t => t.Key, StringComparer.Ordinal).ToArray();

    /// <summary>One rule's state for one series.</summary>
    private sealed class SeriesState(AlertRule rule, string measurement, IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        private readonly BaselineWindow? _baseline = rule.IsRelative ? new BaselineWindow(rule.BaselineIntervals) : null;
        private int _breaches;
        private int _good;
        private long _lastValue;
        private long _lastThreshold;
        private long _lastBaseline;

        public AlertRule Rule { get; } = rule;
        public string Measurement { get; } = measurement;
        public IReadOnlyList<KeyValuePair<string, string>> Tags { get; } = tags;
        public AlertState State { get; private set; }
        public long LastSeen { get; set; }

        public readonly record struct Change(AlertState From, AlertState To, long ValueNs, long ThresholdNs, long BaselineNs, int Intervals);

        /// <summary>An interval in which the series had calls and its field was <paramref name="value"/>.</summary>
        public Change? Observe(long value)
        {
            long? baseline = _baseline is { } w && w.Count >= Rule.BaselineMinSamples ? w.Median() : null;
            long? threshold = Rule.Threshold(baseline);
            bool breach = threshold is long t && value > t;
            // Slow intervals stay out of the baseline: a long slow period must not become the new normal.
            if (!breach)
                _baseline?.Add(value);
            _lastValue = value;
            if (threshold is long th)
                _lastThreshold = th;
            if (baseline is long b)
                _lastBaseline = b;
            return breach ? Breach() : Good();
        }

        /// <summary>An interval in which the series had no calls.</summary>
        public Change? Absent() => State == AlertState.Firing ? Good() : null;

        private Change? Breach()
        {
            _good = 0;
            _breaches++;
            var from = State;
            switch (State)
            {
                case AlertState.Inactive:
                    State = Rule.ForIntervals <= 1 ? AlertState.Firing : AlertState.Pending;
                    return Make(from, _breaches);
                case AlertState.Pending when _breaches >= Rule.ForIntervals:
                    State = AlertState.Firing;
                    return Make(from, _breaches);
                default:
                    return null;
            }
        }

        private Change? Good()
        {
            var from = State;
            switch (State)
            {
                case AlertState.Pending:
                    _breaches = 0;
                    State = AlertState.Inactive;
                    return Make(from, 1);
                case AlertState.Firing:
                    if (++_good < Rule.ResolveAfter)
                        return null;
                    int good = _good;
                    _good = 0;
                    _breaches = 0;
                    State = AlertState.Inactive;
                    return Make(from, good);
                default:
                    _breaches = 0;
                    return null;
            }
        }

        private Change Make(AlertState from, int intervals) =>
            new(from, State, _lastValue, _lastThreshold, _lastBaseline, intervals);
    }
}
