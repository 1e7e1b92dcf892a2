using Tracer.Aggregation;
using Tracer.Core;
using Tracer.DotNet;
using Tracer.Elf;
using Tracer.Native;
using Tracer.Probes;
using Tracer.Sinks;

namespace Alloclat.Cli.Record;

/// <summary>
/// The probes of one run: loads the BPF source, puts every target under it (a process, a binary's processes, names,
/// a cgroup, a command it starts) and the .NET runtimes beside it, and probes each new image a target executes.
/// </summary>
internal sealed partial class TraceSession : IDisposable
{
    private readonly RecordOptions _o;
    private readonly TextWriter _err;
    private readonly PreflightResult _checked;
    private DotnetRuntimeSource? _dotnet;

    public TraceSession(RecordOptions options, PreflightResult checkedRun, TextWriter err)
    {
        _o = options;
        _checked = checkedRun;
        _cgroup = checkedRun.Cgroup;
        _err = err;
    }

    public BpfAllocationSource? Source { get; private set; }

    /// <summary>The .NET runtime source, when targets can be .NET programs.</summary>
    public DotnetRuntimeSource? Dotnet => _dotnet;

    /// <summary>The command started with <c>-- COMMAND</c>, held until <see cref="LaunchedCommand.Release"/>.</summary>
    public LaunchedCommand? Command { get; private set; }

    /// <summary>Every event source of the run, as the collector reads them.</summary>
    public IEventSource Events => _dotnet is null ? Source! : new CombinedEventSource(Source!, _dotnet);

    /// <summary>Loads the probes, calibrates their cost (precise mode) and attaches every target.</summary>
    public void Start()
    {
        var source = LoadSource(_checked.BtfPath, _checked.BinaryId);
        Source = source;
        // On the collector's own calls, before any target's can be recorded.
        if (_o.Precise)
            Calibrate(source);
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
            if (_checked.PrecisePlan is { } precisePlan)
                Attach(source, precisePlan, p);
            else
                AttachToProcess(source, p);
        }
        if (_checked.BinaryId is { } id)
            AddBinaryProcesses(source, id);
        AddNamedAndCgroupProcesses(source);
        if (_o.Command.Count > 0)
        {
            // The held shell execs the command; in precise mode that exec stops it until its probes are placed.
            Command = LaunchedCommand.Start(_o.Command);
            source.AddTargetAtExec(Command.Pid);
        }
        if (source.GuardProblem is { } guard)
            _err.WriteLine($"[WARN] no guard process ({guard}): if alloclat is killed with SIGKILL, a process it stopped at exec stays stopped");
        if (source.UnavailableCauses.Count > 0)
            _err.WriteLine($"[WARN] this kernel lacks the tracepoints for {string.Join(", ", source.UnavailableCauses)}: slow calls are reported without those causes");
        if (_o.SpikeThreshold > TimeSpan.Zero && !DelayAccounting.IsOn())
            _err.WriteLine("[INFO] delay accounting is off (kernel.task_delayacct=0): slow calls are reported without swap-in, thrashing and I/O waits (alloc_spike delayacct=false)");
        Describe(source);
    }

    /// <summary>The runtime's last events are read before the last poll: exited targets' streams to their end.</summary>
    public void StopRuntimeSessions()
    {
        _dotnet?.WaitForExitedSessions(TimeSpan.FromSeconds(3));
        _dotnet?.StopSessions(TimeSpan.FromSeconds(3));
    }

    public void Dispose()
    {
        _dotnet?.Dispose();
        Source?.Dispose();
        if (_o.Verbose && Source is { LinksHandedToGuard: > 0 } source)
            _err.WriteLine($"[INFO] {source.LinksHandedToGuard} probe links of exited processes handed to alloclat-guard, which removes them now that alloclat has exited");
        if (_o.Verbose && Source?.Tracking is { Updates: > 0 } t)
            _err.WriteLine($"[INFO] the probes' cost was measured again {t.Updates} times on CPU{(t.Cpus.Count == 1 ? "" : "s")} {string.Join(",", t.Cpus)} " +
                $"while tracing: {ProbeCostWarning.Ns(t.MinBiasNs)} to {ProbeCostWarning.Ns(t.MaxBiasNs)} (emulated entry), " +
                $"{ProbeCostWarning.Ns(t.MinSteppedBiasNs)} to {ProbeCostWarning.Ns(t.MaxSteppedBiasNs)} (single-stepped)");
        Command?.Dispose();
    }

    /// <summary>How the run's target is named in messages and on the live screen.</summary>
    public static string TargetDescription(RecordOptions o) => o.Pid is int p ? $"process {p}" : o.Binary is not null ? $"every process of {o.Binary}" :
        o.Names.Count > 0 ? $"every process named {string.Join(" or ", o.Names)}" :
        o.Cgroup is not null ? $"every process in cgroup {o.Cgroup}" :
        o.AllProcesses ? "every process" : $"'{string.Join(' ', o.Command)}'";

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
            KernelHistograms = _o.KernelHistograms,
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
        foreach (int pid in ProcessFinder.Running(id))
        {
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

    /// <summary>
    /// Calibrates the malloc-family probes' cost and says what it means for the target, or, in one line, why there
    /// is no figure (latencies are then recorded as measured).
    /// </summary>
    private void Calibrate(BpfAllocationSource source)
    {
        try
        {
            var cost = source.Calibrate(subtract: !_o.RawLatency);
            _err.WriteLine(ProbeCostWarning.Line(cost));
            if (source.TrackingProblem is { } problem)
                _err.WriteLine(ProbeCostWarning.NotTracked(problem));
        }
        catch (ProbeCalibrationException e)
        {
            _err.WriteLine(ProbeCostWarning.Failed(e.Message));
        }
    }

    private void Describe(BpfAllocationSource source)
    {
        string target = TargetDescription(_o);
        string user = _o.AllProcesses ? "" : _o.Precise
            ? "; the malloc family of every allocator and Go's large-object path and GC pauses, probed as each process starts"
            : "; Go's large-object path and GC pauses, probed as each Go process starts; .NET GC pauses and large-object samples through EventPipe";
        _err.WriteLine($"[INFO] tracing {target}: mmap/munmap/mremap/brk, mprotect commits and madvise releases of {SizeClass.Label(SizeClass.Of(_o.MinSize))} and more{user}");
    }
}
