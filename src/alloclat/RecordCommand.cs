using System.Runtime.InteropServices;
using Tracer.Aggregation;
using Tracer.Alerts;
using Tracer.Core;
using Tracer.DotNet;
using Tracer.Elf;
using Tracer.Native;
using Tracer.Probes;
using Tracer.Sinks;

namespace Alloclat.Cli;

/// <summary>
/// <c>alloclat record</c>: checks the host, loads the probes, puts the target under them, and moves interval
/// snapshots from the collector to the sinks until the duration ends, a signal arrives or the target exits.
/// </summary>
internal sealed partial class RecordCommand
{
    private readonly RecordOptions _o;
    private readonly IConsole _console;
    private readonly TextWriter _err;
    private DotnetRuntimeSource? _dotnet;

    public RecordCommand(RecordOptions options, IConsole console)
    {
        _o = options;
        _console = console;
        _err = console.Error;
    }

    public async Task<int> RunAsync()
    {
        KernelSupport.RequirePrivileges();
        string? btf = KernelSupport.ResolveBtf(_o.BtfPath);
        Libbpf.Verbose = _o.Verbose;
        Libbpf.Log = _err;
        Libbpf.EnsureLoaded();
        KernelSupport.EnsureTracefs();

        if (_o.Pid is int pid && !KernelSupport.ProcessExists(pid))
            throw new AlloclatException(ReturnCode.ProcessNotFound, $"process {pid} does not exist");
        if (_o.Pid is int target)
            PidTarget.Check(target);
        (ulong Inode, ulong Device)? binaryId = _o.Binary is null ? null : CheckBinary(_o.Binary);
        _cgroup = _o.Cgroup is null ? null : CgroupTarget.Open(_o.Cgroup);

        // Precise mode needs an allocator to probe: say so before anything is loaded. For -p the plan is kept.
        ProbePlan? precisePlan = _o.Precise && (_o.Pid is not null || _o.Binary is not null || _o.Command.Count > 0) ? CheckPreciseTarget() : null;

        var host = _o.Host ?? KernelSupport.HostName();
        CheckSummaryPath();
        var sinks = await OpenSinksAsync();
        var screen = sinks.OfType<LiveScreen>().FirstOrDefault();
        RunSummary? summary = null;
        var alerts = CreateAlerts();
        int exitCode = (int)ReturnCode.Ok;
        LaunchedCommand? command = null;
        BpfAllocationSource? source = null;
        try
        {
            source = LoadSource(btf, binaryId);
            // .NET targets are seen through their runtime's own events, found as they appear.
            _dotnet = _o.AllProcesses ? null : new DotnetRuntimeSource(_err);
            // A target that executes a new image stops until that image's probes are in place.
            source.ExecStopped = pid =>
            {
                ProbeAfterExec(source, pid);
                _dotnet?.AddStartingProcess(pid);
            };
            // A target's child forked without exec (a pre-forking server's worker) gets its own probes before it runs.
            source.ForkStopped = (child, parent, held) => ProbeAfterFork(source, child, parent, held);
            if (_o.Pid is int p)
            {
                source.AddTarget(p);
                _dotnet?.AddRunningProcess(p);
                if (precisePlan is not null)
                    Attach(source, precisePlan, p);
                else
                    AttachToProcess(source, p);
            }
            if (binaryId is { } id)
                AddBinaryProcesses(source, id);
            AddNamedAndCgroupProcesses(source);
            if (_o.Command.Count > 0)
            {
                // The held shell execs the command; in precise mode that exec stops it until its probes are placed.
                command = LaunchedCommand.Start(_o.Command);
                source.AddTargetAtExec(command.Pid);
            }
            if (_o.Precise)
                WarnPreciseOverhead(source, screen);
            else if (screen is not null)
                screen.ProbeBiasNs = MeasureUprobeCost(source, calls: 2000);
            if (source.GuardProblem is { } guard)
                _err.WriteLine($"[WARN] no guard process ({guard}): if alloclat is killed with SIGKILL, a process it stopped at exec stays stopped");
            if (source.UnavailableCauses.Count > 0)
                _err.WriteLine($"[WARN] this kernel lacks the tracepoints for {string.Join(", ", source.UnavailableCauses)}: slow calls are reported without those causes");
            if (_o.SpikeThreshold > TimeSpan.Zero && !DelayAccounting.IsOn())
                _err.WriteLine("[INFO] delay accounting is off (kernel.task_delayacct=0): slow calls are reported without swap-in, thrashing and I/O waits (alloc_spike delayacct=false)");
            Describe(source);

            using var stop = new CancellationTokenSource();
            var reason = StopReason.None;
            void Stop(StopReason r)
            {
                if (reason == StopReason.None)
                {
                    reason = r;
                    // The runtime's last events are read before the last poll: exited targets' streams to their end.
                    _dotnet?.WaitForExitedSessions(TimeSpan.FromSeconds(3));
                    _dotnet?.StopSessions(TimeSpan.FromSeconds(3));
                }
                stop.Cancel();
            }
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; Stop(StopReason.Signal); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; Stop(StopReason.Terminate); });
            using var sigwinch = screen is null ? null : PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => screen.Redraw());
            if (screen is not null)
                KeyboardInput.Start(screen, () => Stop(StopReason.Quit));
            using var duration = _o.Duration is { } d ? new Timer(_ => Stop(StopReason.Duration), null, d, Timeout.InfiniteTimeSpan) : null;

            var runHistograms = new RunHistograms();
            var run = new RunRecorder();
            var table = new SeriesTable(keepHistograms: _o.KafkaBrokers is not null || _o.Histograms, containerOf: ContainerOf, run: runHistograms);
            IEventSource sources = _dotnet is null ? source : new CombinedEventSource(source, _dotnet);
            var collector = new IntervalCollector(sources, table, _o.Interval, host);
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
                    source?.StopHoldingExecs();
                }
            }) { Name = "alloclat-poll", IsBackground = true };
            poller.Start();
            command?.Release();
            var commandExit = command?.WaitForExitAsync().ContinueWith(_ => Stop(StopReason.CommandExited), TaskScheduler.Default);

            await foreach (var interval in collector.Snapshots.Reader.ReadAllAsync())
            {
                var snapshot = SinkDrops.Into(alerts?.Apply(interval) ?? interval, sinks);
                run.Observe(snapshot);
                if (snapshot.Final)
                {
                    // The polling thread merged its last interval before sending it: the run is complete.
                    summary = run.Summarize(runHistograms);
                    snapshot = snapshot with { Events = [.. snapshot.Events, .. RunPoints.From(summary)] };
                }
                foreach (var sink in sinks)
                    await sink.WriteAsync(snapshot, CancellationToken.None);
                if (_o.Pid is int watched && !KernelSupport.ProcessRunning(watched))
                    Stop(StopReason.TargetExited);
                AddCgroupNewcomers(source);
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
                await command.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(reason == StopReason.CommandExited ? 30 : 5)).ConfigureAwait(false);
                exitCode = command.ExitCode;
            }
            else if (reason == StopReason.TargetExited)
            {
                _err.WriteLine($"[INFO] process {_o.Pid} exited; all its points were written");
                exitCode = (int)ReturnCode.ProcessExited;
            }
            else if (reason is StopReason.Signal or StopReason.Terminate or StopReason.Quit)
            {
                exitCode = (int)ReturnCode.Ok;
            }
            if (pollFailure is not null)
            {
                _err.WriteLine($"[ERROR] tracing stopped: {pollFailure.Message}{(pollFailure.InnerException is { } inner ? ": " + inner.Message : "")}");
                exitCode = (int)ReturnCode.UnknownError;
            }
        }
        catch (TimeoutException)
        {
            _err.WriteLine("[WARN] the traced command did not exit after tracing stopped");
            exitCode = (int)ReturnCode.Interrupted;
        }
        finally
        {
            _dotnet?.Dispose();
            source?.Dispose();
            if (alerts is not null)
                await alerts.DisposeAsync();
            foreach (var sink in sinks)
                await sink.DisposeAsync();
            command?.Dispose();
        }
        if (summary is not null)
            exitCode = ReportSummary(summary, screen is not null, exitCode);
        if (command is null && sinks.OfType<InfluxSink>().Any(s => s.Writer.FatalError is not null) && exitCode == 0)
            exitCode = (int)ReturnCode.SinkError;
        foreach (var failed in sinks.OfType<OutputGuard>().Where(g => g.Failure is not null))
        {
            _err.WriteLine($"[INFO] {failed.NotWritten} of {failed.Written + failed.NotWritten} intervals were not written to {failed.Path}");
            if (command is null && exitCode == 0)
                exitCode = (int)ReturnCode.OutputError;
        }
        return exitCode;
    }

    private enum StopReason { None, Signal, Terminate, Duration, CommandExited, TargetExited, Failed, Quit }

    /// <summary>A --summary file in a directory that does not exist is refused before tracing starts.</summary>
    private void CheckSummaryPath()
    {
        if (_o.SummaryPath is not { } path)
            return;
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null && !Directory.Exists(dir))
            throw new AlloclatException(ReturnCode.ArgumentError, $"cannot write --summary {path}: directory {dir} does not exist");
    }

    /// <summary>Prints the run summary (unless --quiet) and writes it as JSON with --summary.</summary>
    private int ReportSummary(RunSummary summary, bool terminal, int exitCode)
    {
        if (!_o.Quiet)
        {
            int width = terminal ? Math.Max(Console.WindowWidth, 40) : 160;
            _console.Out.Write(RunSummaryText.Render(summary, width));
            _console.Out.Flush();
        }
        if (_o.SummaryPath is not { } path)
            return exitCode;
        try
        {
            using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
                RunSummaryJson.Write(summary, file);
            _err.WriteLine($"[INFO] run summary written to {path}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _err.WriteLine($"[ERROR] cannot write the run summary to {path}: {e.Message}");
            if (exitCode == 0)
                exitCode = (int)ReturnCode.SinkError;
        }
        return exitCode;
    }

    private (ulong, ulong) CheckBinary(string path)
    {
        if (!File.Exists(path))
            throw new AlloclatException(ReturnCode.BinaryError, $"binary {path} does not exist");
        RequireElf(path);
        return KernelSupport.FileIdentity(path);
    }

    private static void RequireElf(string path)
    {
        try
        {
            using var elf = ElfFile.Open(path);
        }
        catch (ElfFormatException e)
        {
            throw new AlloclatException(ReturnCode.BinaryError, $"{path} is not a usable binary: {Reason(e, path)}");
        }
    }

    /// <summary>The ELF reader's message names the file first; the sentence around it already does.</summary>
    private static string Reason(ElfFormatException e, string path) =>
        e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message;

    /// <summary>The precise plan of the target, refused when it probes nothing.</summary>
    private ProbePlan CheckPreciseTarget()
    {
        ProbePlan plan;
        string what;
        if (_o.Pid is int pid)
        {
            plan = ProbePlanner.ForProcess(pid, precise: true);
            what = $"process {pid}";
        }
        else
        {
            string exe = _o.Binary ?? LaunchedCommand.ResolveExecutable(_o.Command[0])
                ?? throw new AlloclatException(ReturnCode.ArgumentError, $"command not found: {_o.Command[0]}");
            RequireElf(exe);
            plan = ProbePlanner.ForCommand(exe, ProbePlanner.CurrentEnvironment(), precise: true);
            what = exe;
        }
        if (plan.IsEmpty)
            throw new AlloclatException(ReturnCode.BinaryError, plan.NothingFoundMessage(what));
        return plan;
    }

    private BpfAllocationSource LoadSource(string? btf, (ulong, ulong)? binary)
    {
        var options = new ProbeOptions
        {
            MinSize = _o.MinSize,
            FilterPids = !_o.AllProcesses,
            Binary = binary,
            BtfPath = btf,
            PerfPagesPerCpu = _o.PerfPagesPerCpu,
            StopOnExec = !_o.AllProcesses,
            StopOnFork = _o.Precise && !_o.AllProcesses,
            GuardPath = HoldGuard.DefaultPath,
            SpikeThresholdNs = (ulong)(_o.SpikeThreshold.Ticks * 100),
            CauseMmapLock = _o.CauseMmapLock,
            PerThread = _o.PerThread,
        };
        try
        {
            return BpfAllocationSource.Load(options);
        }
        catch (LibbpfException e) when (e.ErrorNumber is Errno.EPERM or Errno.EACCES)
        {
            throw new AlloclatException(ReturnCode.KernelFeatureError,
                $"the kernel refused to load or attach BPF programs ({Errno.Name(e.ErrorNumber)} in {e.Call}): kernel lockdown or a security module forbids it", e);
        }
        catch (LibbpfException e)
        {
            throw new AlloclatException(ReturnCode.KernelFeatureError, $"loading the probes failed: {e.Message.Split('\n')[0]}", e);
        }
    }

    /// <summary>
    /// Probes a running process's executables. In default mode only Go probes depend on this, so a process that
    /// cannot be inspected is still traced through its syscalls, with a warning.
    /// </summary>
    private void AttachToProcess(BpfAllocationSource source, int pid)
    {
        ProbePlan plan;
        try
        {
            plan = ProbePlanner.ForProcess(pid, _o.Precise);
        }
        catch (TargetAccessDeniedException e) when (!_o.Precise)
        {
            _err.WriteLine($"[WARN] {e.Message}; its syscalls are traced, Go probes are not placed");
            return;
        }
        Attach(source, plan, pid);
    }

    private void Attach(BpfAllocationSource source, ProbePlan plan, int pid)
    {
        foreach (var problem in plan.Problems)
            _err.WriteLine($"[WARN] process {pid}: {problem}");
        ListProbes(plan, pid);
        try
        {
            source.AttachUprobes(plan.Sites, pid);
        }
        catch (LibbpfException e) when (e.ErrorNumber == Errno.ESRCH)
        {
            throw new AlloclatException(ReturnCode.ProcessExited, $"process {pid} exited before its probes were attached");
        }
        catch (LibbpfException e)
        {
            throw new AlloclatException(ReturnCode.KernelFeatureError, $"attaching uprobes failed: {e.Message}", e);
        }
    }

    /// <summary>With -v, every probe placed: binary, function, address and RET sites.</summary>
    private void ListProbes(ProbePlan plan, int pid)
    {
        if (!_o.Verbose)
            return;
        foreach (var site in plan.Sites)
            _err.WriteLine($"[INFO] process {pid}: probe {site.Describe()}");
    }

    /// <summary>
    /// Precise mode: a target has just executed a new image and is stopped; probe the allocators it will load.
    /// Runs on the polling thread; the process is continued when this returns.
    /// </summary>
    private void ProbeAfterExec(BpfAllocationSource source, int pid)
    {
        NoteContainer(pid);
        try
        {
            var plan = ProbePlanner.ForExec(pid, _o.Precise);
            int added = source.AttachUprobes(plan.Sites, pid);
            if (_o.Verbose && added > 0)
                _err.WriteLine($"[INFO] process {pid} executed a new image: {added} functions probed in {string.Join("; ", plan.Allocators)}");
            foreach (var problem in plan.Problems)
                _err.WriteLine($"[WARN] process {pid}: {problem}");
            if (added > 0)
                ListProbes(plan, pid);
            if (_o.Precise && plan.IsEmpty)
                _err.WriteLine($"[WARN] {plan.NothingFoundMessage($"process {pid}")}");
        }
        catch (Exception e) when (ExitCodeMap.IsKnown(e) || e is LibbpfException or IOException or ElfFormatException)
        {
            _err.WriteLine($"[WARN] process {pid}: its new image could not be probed: {e.Message}");
        }
    }

    /// <summary>
    /// Precise mode: a target's child forked without exec is stopped before its first instruction; it gets the
    /// probes its parent has (or, when the parent has none of its own, those its maps call for). Runs on the polling
    /// thread; the child is continued when this returns, so none of its calls goes unseen.
    /// </summary>
    private void ProbeAfterFork(BpfAllocationSource source, int child, int parent, TimeSpan heldSoFar)
    {
        NoteContainer(child);
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var sites = source.AttachLikeParent(child, parent);
            if (sites is null)
            {
                var plan = ProbePlanner.ForProcess(child, _o.Precise);
                foreach (var problem in plan.Problems)
                    _err.WriteLine($"[WARN] process {child}: {problem}");
                source.AttachUprobes(plan.Sites, child);
                sites = plan.Sites;
            }
            if (_o.Verbose)
            {
                _err.WriteLine($"[INFO] process {child} forked by {parent}: {sites.Count} functions probed before its first instruction " +
                    $"(held {(heldSoFar + started.Elapsed).TotalMilliseconds:0.0} ms: {heldSoFar.TotalMilliseconds:0.0} ms until seen, {started.Elapsed.TotalMilliseconds:0.0} ms placing probes)");
                foreach (var site in sites)
                    _err.WriteLine($"[INFO] process {child}: probe {site.Describe()}");
            }
        }
        catch (Exception e) when (e is AlloclatException or LibbpfException or IOException or ElfFormatException)
        {
            _err.WriteLine($"[WARN] process {child} (forked by {parent}) could not be probed: {e.Message}");
        }
    }

    /// <summary>Adds running processes of the binary and probes their allocators.</summary>
    private void AddBinaryProcesses(BpfAllocationSource source, (ulong Inode, ulong Device) id)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
                continue;
            try
            {
                if (KernelSupport.FileIdentity($"{dir}/exe") != id)
                    continue;
            }
            catch (FileNotFoundException)
            {
                continue;
            }
            source.AddTarget(pid);
            _dotnet?.AddRunningProcess(pid);
            try
            {
                AttachToProcess(source, pid);
            }
            catch (Exception e) when (ExitCodeMap.IsKnown(e) || e is LibbpfException)
            {
                _err.WriteLine($"[WARN] process {pid} of {_o.Binary}: {e.Message}");
            }
        }
    }

    private static double? MeasureUprobeCost(BpfAllocationSource source, int calls)
    {
        try
        {
            return source.MeasureUprobeCostNs(calls);
        }
        catch (Exception e) when (e is LibbpfException or InvalidOperationException)
        {
            return null;
        }
    }

    private void WarnPreciseOverhead(BpfAllocationSource source, LiveScreen? screen)
    {
        double? measured = MeasureUprobeCost(source, calls: 20_000);
        if (screen is not null)
            screen.ProbeBiasNs = measured;
        string cost = measured is not { } ns ? "(could not be measured)" : ns >= 1000 ? $"{ns / 1000:0.0} us" : $"{ns:0} ns";
        _err.WriteLine($"[WARN] --precise: every call of the malloc family in the target now takes a uprobe trap, measured here at {cost} per call; programs that allocate often will run slower");
    }

    private string TargetDescription() => _o.Pid is int p ? $"process {p}" : _o.Binary is not null ? $"every process of {_o.Binary}" :
        _o.Names.Count > 0 ? $"every process named {string.Join(" or ", _o.Names)}" :
        _o.Cgroup is not null ? $"every process in cgroup {_o.Cgroup}" :
        _o.AllProcesses ? "every process" : $"'{string.Join(' ', _o.Command)}'";

    private void Describe(BpfAllocationSource source)
    {
        string target = TargetDescription();
        string user = _o.AllProcesses ? "" : _o.Precise
            ? "; the malloc family of every allocator and Go's large-object path and GC pauses, probed as each process starts"
            : "; Go's large-object path and GC pauses, probed as each Go process starts; .NET GC pauses and large-object samples through EventPipe";
        _err.WriteLine($"[INFO] tracing {target}: mmap/munmap/mremap/brk, mprotect commits and madvise releases of {SizeClass.Label(SizeClass.Of(_o.MinSize))} and more{user}");
    }

    private async Task<List<ISnapshotSink>> OpenSinksAsync()
    {
        // Settings that can still be refused (a missing token) are read before any sink opens a file.
        var influxOptions = _o.Influx.Url is null ? null : _o.Influx.WriterOptions();
        var sinks = new List<ISnapshotSink>();
        if (_o.OutputDisabled)
        {
            _err.WriteLine("[INFO] no line-protocol file (--output none)");
        }
        else
        {
            string output = _o.Output ?? $"alloclat-{DateTime.Now:yyyyMMdd-HHmmss}.lp";
            FileSink file;
            try
            {
                file = new FileSink(output, (long?)_o.OutputMaxSize, _o.OutputKeep) { Histograms = _o.Histograms };
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw OutputFailure.Open(e, output);
            }
            sinks.Add(new OutputGuard(file, output, _err));
            _err.WriteLine($"[INFO] writing line protocol to {output}" + (_o.OutputMaxSize is { } max
                ? $", rotated at {max} bytes keeping {_o.OutputKeep} older files"
                : ""));
        }
        if (_o.Quiet)
        {
        }
        else if (!_o.Plain && _console.OutIsTerminal)
        {
            sinks.Add(new LiveScreen(_console.Out, () => (Console.WindowWidth, Console.WindowHeight), TargetDescription(), probeBiasNs: null));
        }
        else
        {
            sinks.Add(new ConsoleTableSink(_console.Out));
        }
        if (_o.KafkaBrokers is not null)
            sinks.Add(KafkaPublishing.Open(_o, _err));
        if (influxOptions is not null)
        {
            var influx = new InfluxSink(influxOptions, _err);
            var ping = await influx.Writer.PingAsync(CancellationToken.None);
            if (!ping.Reachable)
                _err.WriteLine($"[WARN] InfluxDB at {_o.Influx.Url} is unreachable ({ping.Message}); tracing goes on and points are queued until it answers");
            else if (!ping.Ok)
                _err.WriteLine($"[WARN] {ping.Message}");
            sinks.Add(influx);
        }
        return sinks;
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
