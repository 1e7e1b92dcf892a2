using Tracer.Core;
using Tracer.Native;
using Tracer.Native.Interop;

namespace Tracer.Probes;

/// <summary>
/// The BPF side of the collector as one event source: loads the kernel side (<see cref="BpfLoader"/>), attaches
/// its tracepoints (<see cref="TracepointAttacher"/>) and, on request, uprobes (<see cref="UprobeAttacher"/>),
/// passes targets stopped at exec (<see cref="ExecGate"/>), and decodes perf-buffer samples into recorder calls
/// (<see cref="AllocEventDecoder"/>, and <see cref="SpikeReporter"/> for slow calls).
/// </summary>
public sealed class BpfAllocationSource : IEventSource
{
    private readonly BpfObject _object;
    private readonly TargetMaps _targets;
    private readonly BpfMap _stats;
    private readonly BpfMap _exits;
    private readonly AllocEventDecoder _decoder;
    private readonly PerfBufferReader _reader;
    private readonly PerfBufferReader? _spikeReader;
    private readonly SpikeReporter? _spikes;
    private readonly UprobeAttacher _uprobes;
    private readonly KernelHistograms? _histograms;
    private readonly HoldWakeups? _holdWakeups;
    private readonly PerfBufferReader[] _readers;
    private ExecGate? _gate;
    private ProbeCostTracker? _tracker;
    private IAllocationRecorder? _recorder;

    private BpfAllocationSource(BpfObject obj, ProbeOptions options)
    {
        _object = obj;
        Options = options;
        _targets = new TargetMaps(obj);
        _stats = obj.Map(BpfMaps.Stats);
        _exits = obj.Map(BpfMaps.Exits);
        _uprobes = new UprobeAttacher(obj);
        _decoder = new AllocEventDecoder(options.PerThread);
        _reader = new PerfBufferReader(obj.Map(BpfMaps.Events), options.PerfPagesPerCpu, _decoder);
        // Series split by thread are not keyed so in the kernel: their calls stay events.
        if (options.KernelHistograms && !options.PerThread)
            _histograms = new KernelHistograms(obj, options.KernelHistogramsAndEvents);
        if (options.SpikeThresholdNs > 0)
        {
            _spikes = new SpikeReporter(obj.Map(BpfMaps.Stacks), options.CauseMmapLock);
            _spikeReader = new PerfBufferReader(obj.Map(BpfMaps.Spikes), 8, _spikes, batched: false);
        }
        if (options.StopOnExec || options.StopOnFork)
            _holdWakeups = new HoldWakeups(obj);
        _readers = new[] { _reader, _spikeReader, _holdWakeups?.Reader }.OfType<PerfBufferReader>().ToArray();
    }

    /// <summary>Loads the probes into the kernel and attaches the tracepoints. Nothing is traced until then.</summary>
    public static BpfAllocationSource Load(ProbeOptions options)
    {
        var obj = BpfLoader.Load(options);
        BpfAllocationSource? source = null;
        try
        {
            source = new BpfAllocationSource(obj, options);
            TracepointAttacher.AttachSyscallsAndLifecycle(obj, BpfLoader.FiltersPids(options));
            source._gate = ExecGate.Open(obj, options);
            if (source._spikes is { } spikes)
                source._gate.Held = spikes.ProcessHeld;
            if (options.SpikeThresholdNs > 0)
                source.UnavailableCauses = TracepointAttacher.AttachCauses(obj, options.CauseMmapLock);
            return source;
        }
        catch
        {
            if (source is not null)
                source.Dispose();
            else
                obj.Dispose();
            throw;
        }
    }

    public ProbeOptions Options { get; }

    /// <summary>Whether latencies are aggregated in the kernel (read at each interval's end), not sent call by call.</summary>
    public bool KernelHistograms => _histograms is not null;

    /// <summary>Blocks in the kernel's histogram tables, both of them (0 without the tables).</summary>
    internal int KernelHistogramBlocks => _histograms?.BlockEntries() ?? 0;

    /// <summary>Causes this kernel cannot attribute (its tracepoint is missing); spikes are reported without them.</summary>
    public IReadOnlyList<string> UnavailableCauses { get; private set; } = [];

    public IReadOnlyList<SlowCall> TakeSlowCalls() => _spikes?.Take() ?? [];

    /// <summary>Traces a process from now on.</summary>
    public void AddTarget(int pid) => _targets.Add(pid);

    /// <summary>
    /// Traces every process that executes an image under this name from now on (the kernel's comm: the file name,
    /// cut to 15 bytes). Running processes of that name are added with <see cref="AddTarget"/>.
    /// </summary>
    public void AddTargetName(string name) => _targets.AddName(name);

    /// <summary>Traces a process from its next exec on: a command held until its probes are ready.</summary>
    public void AddTargetAtExec(int pid) => _targets.AddAtExec(pid);

    /// <summary>
    /// Attaches the probes of each site. With a pid the kernel inserts the breakpoints in that process only; -1
    /// inserts them in every process that maps the file. A site already attached for the same pid is skipped, so
    /// plans can be re-applied as processes come and go.
    /// </summary>
    public int AttachUprobes(IEnumerable<UprobeSite> sites, int pid)
    {
        var list = sites as IReadOnlyCollection<UprobeSite> ?? sites.ToList();
        Correction?.Learn(list);
        return _uprobes.Attach(list, pid);
    }

    /// <summary>Processes that have uprobes of their own in place.</summary>
    public int ProbedProcesses => _uprobes.ProbedProcesses;

    /// <summary>
    /// Calibrates the malloc-family probes' own cost on this host (<see cref="ProbeCalibration"/>) and, with
    /// <paramref name="subtract"/>, subtracts it from every latency they record from now on. Call before any target
    /// is added. Throws <see cref="ProbeCalibrationException"/> (and corrects nothing) when no figure can be trusted.
    /// </summary>
    public ProbeCost Calibrate(bool subtract)
    {
        ProbeCost cost;
        // The calibration reads its calls as events, one by one.
        _histograms?.Disable();
        try
        {
            cost = ProbeCalibration.Measure(_object, _targets, _reader, _decoder, Options.MinSize, subtract);
        }
        catch (LibbpfException e)
        {
            throw new ProbeCalibrationException($"the probes could not be placed on the collector's own malloc ({e.Message.Split('\n')[0]})");
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or DllNotFoundException or EntryPointNotFoundException or Tracer.Elf.ElfFormatException)
        {
            throw new ProbeCalibrationException(e.Message);
        }
        finally
        {
            // A calibration call slow enough to be a spike is the collector's own, not a target's.
            if (_spikeReader is not null)
            {
                _spikeReader.Poll(0);
                _spikes!.Take();
            }
            _histograms?.Enable();
        }
        _decoder.Correction = Correction = new LatencyCorrection(cost);
        if (_histograms is { } histograms && cost.Subtracted)
        {
            for (int cpu = 0; cpu < Libbpf.PossibleCpus; cpu++)
                histograms.SetBias(cpu, cost.BiasNs, cost.SteppedBiasNs);
            histograms.SetCorrectedOps(LatencyCorrection.CorrectedOps);
            Correction.SingleSteppedLearnt = histograms.MarkSingleStepped;
            Correction.BiasTracked = histograms.SetBias;
        }
        // Each CPU's cost is measured again from now on: subtracted from its calls, or (--raw-latency) only reported.
        _tracker = ProbeCostTracker.Start(_object, Correction, Options.MinSize, out string? problem);
        TrackingProblem = problem;
        if (_tracker is { } tracker)
        {
            _decoder.CalibrationCall = tracker.OnCall;
            cost = cost with { TrackedCpus = tracker.Tracking.Cpus.Count };
        }
        ProbeCost = cost;
        return cost;
    }

    /// <summary>Why the probes' cost is not measured again per CPU while tracing (null: it is).</summary>
    public string? TrackingProblem { get; private set; }

    /// <summary>What was measured of the probes' cost per CPU while tracing (null: it is not followed).</summary>
    public ProbeCostTracking? Tracking => _tracker?.Tracking;

    /// <summary>The probes' calibrated cost (null: not calibrated).</summary>
    public ProbeCost? ProbeCost { get; private set; }

    /// <summary>
    /// The correction of recorded latencies (null: not calibrated): the one function every reader of latencies the
    /// malloc-family probes measure calls, as the perf-buffer decoder does.
    /// </summary>
    public LatencyCorrection? Correction { get; private set; }

    /// <summary>
    /// Called on the polling thread for each target stopped at exec (with <see cref="ProbeOptions.StopOnExec"/>).
    /// The handler places its probes; the process is continued when it returns, whatever happened.
    /// </summary>
    public Action<int>? ExecStopped
    {
        get => _gate?.Probe;
        set
        {
            if (_gate is not null)
                _gate.Probe = value;
        }
    }

    /// <summary>
    /// Called on the polling thread for each child of a target stopped before its first instruction (with
    /// <see cref="ProbeOptions.StopOnFork"/>): the child's pid, its parent's, and how long it has been held so far.
    /// The handler places its probes; the process is continued when it returns, whatever happened.
    /// </summary>
    public Action<int, int, TimeSpan>? ForkStopped
    {
        get => _gate?.ForkProbe;
        set
        {
            if (_gate is not null)
                _gate.ForkProbe = value;
        }
    }

    /// <summary>
    /// Attaches to a forked child the sites its parent has (the child maps what its parent mapped when it forked),
    /// through the child's own /proc root; returns the sites attached, or null when the parent has no probes of
    /// its own (then the child's maps must be read).
    /// </summary>
    public IReadOnlyList<UprobeSite>? AttachLikeParent(int child, int parent) => _uprobes.AttachLikeParent(child, parent);

    /// <summary>Why no guard process protects held processes against a SIGKILL of the collector (null: one does).</summary>
    public string? GuardProblem => _gate?.GuardProblem;

    /// <summary>
    /// Stops stopping processes at exec and continues every one held now (unprobed): the first thing to do when
    /// tracing ends, before the sinks are flushed.
    /// </summary>
    public void StopHoldingExecs() => _gate?.Close();

    public void Poll(int timeoutMs, IAllocationRecorder recorder)
    {
        _recorder = recorder;
        _decoder.Recorder = recorder;
        PerfBufferReader.WaitAndDrain(_readers, timeoutMs);
        // The map, not the notification, says who is held: a notification lost with a full buffer holds no one.
        _gate?.PassHeld();
        ReleaseExited();
    }

    /// <summary>
    /// Releases what is kept for processes that exited: their uprobe links (detached in the background) and,
    /// through the recorder, their series once reported, and their memory map kept for symbolizing stacks (the
    /// samples a process sent before its exit were read before its exit was).
    /// </summary>
    private void ReleaseExited()
    {
        while (_exits.TryPop(out uint tgid))
        {
            int pid = (int)tgid;
            _uprobes.Release(pid);
            _spikes?.ProcessExited(pid);
            _recorder?.ProcessExited(pid);
            _histograms?.ProcessExited(pid);
        }
    }

    /// <summary>Hands the recorder the calls the kernel's histograms counted since the last interval's end.</summary>
    public void EndInterval(IAllocationRecorder recorder, bool final) => _histograms?.Drain(recorder, final);

    public SourceCounters ReadCounters() => new(
        _decoder.Events + (_histograms is { AlsoEvents: false } h ? h.Calls : 0),
        _decoder.Lost,
        (long)(_stats.SumPerCpu((uint)BpfStat.InflightDropped) + _stats.SumPerCpu((uint)BpfStat.LiveDropped)),
        (long)_stats.SumPerCpu((uint)BpfStat.TargetsFull),
        ProbeCost);

    /// <summary>Uprobe links of exited processes the guard took over at dispose, to remove after this process exits.</summary>
    public int LinksHandedToGuard => _object.HandedOver;

    public void Dispose()
    {
        var guard = _gate?.Guard;
        _tracker?.Dispose();
        _gate?.Dispose();
        _spikeReader?.Dispose();
        _holdWakeups?.Dispose();
        _reader.Dispose();
        _object.Dispose(guard);
        guard?.Dispose();
    }
}
