using Tracer.Alerts;
using Tracer.Core;

namespace Alloclat.Cli.Record;

/// <summary>
/// <c>alloclat record</c>, wired: the checks that can refuse the run, then the sinks, the probes and the record
/// loop, closed in reverse order; the exit code from how the run ended, the summary and the sinks.
/// </summary>
internal sealed class RecordCommand(RecordOptions options, IConsole console)
{
    private readonly RecordOptions _o = options;
    private readonly TextWriter _err = console.Error;

    public async Task<int> RunAsync()
    {
        var checkedRun = new Preflight(_o, _err).Run();
        using var signals = new StopSignals();
        if (Tracer.Native.KernelSupport.SignalIgnored(2))
            _err.WriteLine("[WARN] SIGINT is ignored by this process, as its parent left it (a shell does so for a command started with & " +
                "without job control): Ctrl-C and kill -INT will not stop alloclat; stop it with SIGTERM (kill PID)");
        using var heap = new HeapBudget();
        var sinks = await SinkSet.OpenAsync(_o, checkedRun, console, _err);
        var alerts = CreateAlerts();
        var session = new TraceSession(_o, checkedRun, _err);
        RecordOutcome outcome;
        try
        {
            session.Start();
            outcome = await new RecordLoop(_o, session, sinks, alerts, signals, checkedRun.Host, _err).RunAsync();
        }
        finally
        {
            session.Dispose();
            if (alerts is not null)
                await alerts.DisposeAsync();
            await sinks.DisposeAsync();
        }
        int exitCode = outcome.ExitCode;
        if (outcome.Summary is { } summary)
            exitCode = new RunSummaryOutput(_o, console).Report(summary, sinks.Screen is not null, exitCode);
        return sinks.Settle(exitCode, tracedCommand: _o.Command.Count > 0);
    }

    /// <summary>The alert stage when rules were given; transitions are logged on stderr as one line each.</summary>
    private AlertStage? CreateAlerts()
    {
        if (_o.Alerts.Count == 0)
            return null;
        var webhook = _o.AlertWebhook is null ? null : new AlertWebhook(new AlertWebhookOptions(new Uri(_o.AlertWebhook)), _err);
        _err.WriteLine($"[INFO] {_o.Alerts.Count} alert rule(s): {string.Join("; ", _o.Alerts.Select(r => r.Name))}" +
            (webhook is null ? "" : $"; notifications to {_o.AlertWebhook}"));
        return new AlertStage(_o.Alerts, _err, webhook);
    }
}
