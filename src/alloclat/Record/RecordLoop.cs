using System.Runtime.InteropServices;
using Tracer.Aggregation;
using Tracer.Alerts;
using Tracer.Core;
using Tracer.Native;
using Tracer.Sinks;

namespace Alloclat.Cli.Record;

/// <summary>The end of a run: what stopped it and the exit code that follows from that (before the sinks settle).</summary>
internal sealed record RecordOutcome(int ExitCode, RunSummary? Summary);

/// <summary>
/// The record loop: the polling thread reads the probes into interval snapshots, this thread judges the alert rules
/// and hands every snapshot to the sinks, until the duration ends, a signal or the quit key arrives, the command or
/// the target exits, or polling fails. Then the command outliving the trace is asked to stop, as timeout(1) does.
/// </summary>
internal sealed class RecordLoop(RecordOptions o, TraceSession session, SinkSet sinks, AlertStage? alerts, StopSignals signals, string host, TextWriter err)
{
    private enum StopReason { None, Signal, Terminate, Duration, CommandExited, TargetExited, Failed, Quit }

    public async Task<RecordOutcome> RunAsync()
    {
        var screen = sinks.Screen;
        var source = session.Source!;
        var command = session.Command;
        RunSummary? summary = null;
        int exitCode = (int)ReturnCode.Ok;

        using var stop = new CancellationTokenSource();
        var reason = StopReason.None;
        void Stop(StopReason r)
        {
            if (reason == StopReason.None)
            {
                reason = r;
                session.StopRuntimeSessions();
            }
            stop.Cancel();
        }
        signals.Deliver(s => Stop(s == PosixSignal.SIGTERM ? StopReason.Terminate : StopReason.Signal));
        using var sigwinch = screen is null ? null : PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => screen.Redraw());
        if (screen is not null)
            KeyboardInput.Start(screen, () => Stop(StopReason.Quit));
        using var duration = o.Duration is { } d ? new Timer(_ => Stop(StopReason.Duration), null, d, Timeout.InfiniteTimeSpan) : null;

        var runHistograms = new RunHistograms();
        var run = new RunRecorder();
        var table = new SeriesTable(keepHistograms: o.KafkaBrokers is not null || o.Histograms, containerOf: session.ContainerOf, run: runHistograms,
            processForgotten: session.ForgetContainer);
        var collector = new IntervalCollector(session.Events, table, o.Interval, host);
        Exception? pollFailure = null;
        var poller = new Thread(() =>
        {
            // Whatever breaks the polling thread ends the run like a stop: what was collected is still written.
            try
            {
                collector.Run(stop.Token);
            }
            catch (Exception e)
            {
                pollFailure = e;
                Stop(StopReason.Failed);
            }
            finally
            {
                // No process may wait for probes that will not come while the sinks flush.
                source.StopHoldingExecs();
            }
        }) { Name = "alloclat-poll", IsBackground = true };
        poller.Start();
        command?.Release();
        var commandExit = command?.WaitForExitAsync().ContinueWith(_ => Stop(StopReason.CommandExited), TaskScheduler.Default);

        var warnings = new CollectorWarnings(err);
        await foreach (var interval in collector.Snapshots.Reader.ReadAllAsync())
        {
            var snapshot = sinks.WithDrops(alerts?.Apply(interval) ?? interval);
            run.Observe(snapshot);
            warnings.Observe(snapshot.Stats);
            if (snapshot.Final)
            {
                // The polling thread merged its last interval before sending it: the run is complete.
                summary = run.Summarize(runHistograms);
                snapshot = snapshot with { Events = [.. snapshot.Events, .. RunPoints.From(summary)] };
            }
            await sinks.WriteAsync(snapshot);
            if (o.Pid is int watched && !KernelSupport.ProcessRunning(watched))
                Stop(StopReason.TargetExited);
            session.AddCgroupNewcomers();
        }
        poller.Join();
        summary ??= run.Summarize(runHistograms);

        // Like timeout(1): a command outliving the trace is asked to stop, and its status is returned.
        if (reason is StopReason.Terminate or StopReason.Duration or StopReason.Failed && command is { HasExited: false })
            command.Terminate();
        // The quit key ends the run as Ctrl-C in the terminal would, which the command would have seen too.
        if (reason == StopReason.Quit && command is { HasExited: false })
            command.Interrupt();
        if (command is not null)
        {
            try
            {
                await command.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(reason == StopReason.CommandExited ? 30 : 5)).ConfigureAwait(false);
                exitCode = command.ExitCode;
            }
            catch (TimeoutException)
            {
                err.WriteLine("[WARN] the traced command did not exit after tracing stopped");
                return new RecordOutcome((int)ReturnCode.Interrupted, summary);
            }
        }
        else if (reason == StopReason.TargetExited)
        {
            err.WriteLine($"[INFO] process {o.Pid} exited; all its points were written");
            exitCode = (int)ReturnCode.ProcessExited;
        }
        else if (reason is StopReason.Signal or StopReason.Terminate or StopReason.Quit)
        {
            exitCode = (int)ReturnCode.Ok;
        }
        if (pollFailure is not null)
        {
            err.WriteLine($"[ERROR] tracing stopped: {pollFailure.Message}{(pollFailure.InnerException is { } inner ? ": " + inner.Message : "")}");
            exitCode = (int)ReturnCode.UnknownError;
        }
        return new RecordOutcome(exitCode, summary);
    }
}
