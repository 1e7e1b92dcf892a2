using Tracer.Core;

namespace Tracer.Alerts;

/// <summary>
/// What the record loop runs on each snapshot before the sinks: evaluates the rules, adds each transition as an
/// <c>alert</c> point to the snapshot (so the file, InfluxDB and the live table get it), writes it as one line
/// to the log, and queues firing and resolved-after-firing transitions for the webhook, if any.
/// </summary>
public sealed class AlertStage : IAsyncDisposable
{
    private readonly AlertEngine _engine;
    private readonly TextWriter _log;
    private readonly AlertWebhook? _webhook;

    public AlertStage(IReadOnlyList<AlertRule> rules, TextWriter log, AlertWebhook? webhook = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        _engine = new AlertEngine(rules);
        _log = log;
        _webhook = webhook;
    }

    public IntervalSnapshot Apply(IntervalSnapshot snapshot)
    {
        var transitions = _engine.Evaluate(snapshot);
        if (transitions.Count == 0)
            return snapshot;
        var events = new List<EventPoint>(snapshot.Events.Count + transitions.Count);
        events.AddRange(snapshot.Events);
        foreach (var t in transitions)
        {
            events.Add(AlertPoints.ToPoint(t));
            _log.WriteLine(AlertPoints.LogLine(t));
            if (t.IsNotification)
                _webhook?.Enqueue(t);
        }
        return snapshot with { Events = events };
    }

    public ValueTask DisposeAsync() => _webhook?.DisposeAsync() ?? ValueTask.CompletedTask;
}
