using System.Reflection;
using System.Runtime.InteropServices;
using Tracer.Core;
using Tracer.Native;
using Tracer.Native.Interop;

namespace Tracer.Probes;

/// <summary>How the probes are configured before load.</summary>
public sealed record ProbeOptions
{
    /// <summary>Calls requesting fewer bytes are dropped inside BPF.</summary>
    public ulong MinSize { get; init; } = 32 * 1024;

    /// <summary>Trace only processes added with <see cref="BpfAllocationSource.AddTarget"/> (and their children).</summary>
    public bool FilterPids { get; init; } = true;

    public bool FollowForks { get; init; } = true;

    /// <summary>Follow every process that executes this file (inode and kernel device).</summary>
    public (ulong Inode, ulong Device)? Binary { get; init; }

    /// <summary>Kernel BTF for CO-RE when the kernel does not expose its own.</summary>
    public string? BtfPath { get; init; }

    /// <summary>
    /// Stop targets at exec and raise <see cref="BpfAllocationSource.ExecStopped"/>, so uprobes can be placed on
    /// the new image before it runs (precise mode).
    /// </summary>
    public bool StopOnExec { get; init; }

    /// <summary>
    /// Stop a target's child forked without exec before its first instruction and raise
    /// <see cref="BpfAllocationSource.ForkStopped"/>, so it gets uprobes of its own (precise mode: uprobes are per
    /// process, and a child does not inherit its parent's).
    /// </summary>
    public bool StopOnFork { get; init; }

    /// <summary>
    /// The guard that continues stopped processes if the collector is killed (see <see cref="HoldGuard"/>); null
    /// runs without one.
    /// </summary>
    public string? GuardPath { get; init; }

    /// <summary>Calls at least this slow are reported as alloc_spike with stack and kernel cause; 0 turns it off.</summary>
    public ulong SpikeThresholdNs { get; init; }

    /// <summary>
    /// Also measure waits for mmap_lock in slow calls. Its tracepoints fire on every mmap_lock acquisition of every
    /// process on the host (each run costs the tracepoint's dispatch and a hash lookup), so this is off by default.
    /// </summary>
    public bool CauseMmapLock { get; init; }

    /// <summary>Perf-buffer pages per CPU (a power of two).</summary>
    public int PerfPagesPerCpu { get; init; } = 64;

    /// <summary>Split series by thread (<see cref="SeriesKey.Tid"/>, tag <c>thread</c>); by process otherwise.</summary>
    public bool PerThread { get; init; }
}

/// <summary>
/// The BPF side of the collector: loads bpf/alloclat.bpf.o, attaches the syscall and process-lifecycle
/// tracepoints, attaches uprobes on request, and decodes perf-buffer samples into recorder calls.
/// </summary>
public sealed class BpfAllocationSource : IEventSource, IPerfSampleHandler
{
    private static readonly string[] s_syscallPrograms =
    [
        "tp_enter_mmap", "tp_exit_mmap", "tp_enter_munmap", "tp_exit_munmap",
        "tp_enter_mremap", "tp_exit_mremap", "tp_enter_brk", "tp_exit_brk",
        "tp_enter_mprotect", "tp_exit_mprotect", "tp_enter_madvise", "tp_exit_madvise",
    ];

    // A forked child's return from each way of forking: where it is stopped for its own probes.
    private static readonly string[] s_forkReturnPrograms = ["tp_exit_clone", "tp_exit_clone3", "tp_exit_fork", "tp_exit_vfork"];

    private readonly BpfObject _object;
    private readonly Action<int, HeldProcess> _release;
    private readonly BpfMap _targets;
    private readonly BpfMap _targetNames;
    private readonly BpfMap _stats;
    private readonly PerfBufferReader _reader;
    private readonly PerfBufferReader? _spikeReader;
    private readonly SpikeReporter? _spikes;
    private readonly BpfMap _exits;
    // Per process: the sites attached and their links, released when the process exits.
    private readonly Dictionary<int, ProcessProbes> _probes = new();
    private readonly ExecHold? _hold;
    private IAllocationRecorder? _recorder;
    private long _events;
    private long _lost;
    private long _malformed;

    private BpfAllocationSource(BpfObject obj, ProbeOptions options)
    {
        _object = obj;
        Options = options;
        _targets = obj.Map("targets");
        _targetNames = obj.Map("target_names");
        _stats = obj.Map("stats");
        _exits = obj.Map("exits");
        _reader = new PerfBufferReader(obj.Map("events"), options.PerfPagesPerCpu, this);
        if (options.StopOnExec || options.StopOnFork)
            _hold = new ExecHold(obj.Map("held"), obj.Map("lease"));
        _release = Release;
        if (options.SpikeThresholdNs > 0)
        {
            _spikes = new SpikeReporter(obj.Map("stacks"), options.CauseMmapLock);
            _spikeReader = new PerfBufferReader(obj.Map("spikes"), 8, _spikes, batched: false);
        }
    }

    // Only tracepoints that fire while the kernel does the slow work itself; faults, context switches and on-CPU
    // time come from the thread's own counters, read by the call's entry and return programs.
    private static readonly (string Cause, string[] Programs)[] s_causePrograms =
    [
        ("direct reclaim", ["tp_reclaim_begin", "tp_reclaim_end"]),
        ("memcg reclaim", ["tp_memcg_reclaim_begin", "tp_memcg_reclaim_end"]),
        ("compaction", ["tp_compaction_begin", "tp_compaction_end"]),
    ];

    private static readonly (string Cause, string[] Programs) s_mmapLockPrograms = ("mmap_lock", ["tp_lock_wait", "tp_lock_taken"]);

    /// <summary>Causes this kernel cannot attribute (its tracepoint is missing); spikes are reported without them.</summary>
    public IReadOnlyList<string> UnavailableCauses { get; private set; } = [];

    private void AttachCauseTracepoints()
    {
        var missing = new List<string>();
        foreach (var (cause, programs) in Options.CauseMmapLock ? [.. s_causePrograms, s_mmapLockPrograms] : s_causePrograms)
        {
            try
            {
                foreach (var p in programs)
                    _object.Attach(p);
            }
            catch (LibbpfException)
            {
                missing.Add(cause);
            }
        }
        UnavailableCauses = missing;
    }

    public IReadOnlyList<SlowCall> TakeSlowCalls() => _spikes?.Take() ?? [];

    public ProbeOptions Options { get; }

    /// <summary>Number of uprobe and uretprobe links in place.</summary>
    public int UprobeCount { get; private set; }

    public long MalformedSamples => Interlocked.Read(ref _malformed);

    /// <summary>Loads the probes into the kernel and attaches the tracepoints. Nothing is traced until then.</summary>
    public static BpfAllocationSource Load(ProbeOptions options)
    {
        var obj = BpfObject.Open(EmbeddedObject(), "alloclat", options.BtfPath);
        try
        {
            var config = new AllocConfig
            {
                MinSize = options.MinSize,
                FilterPids = options.FilterPids || options.Binary is not null ? 1u : 0u,
                FollowForks = options.FollowForks ? 1u : 0u,
                TargetInode = options.Binary?.Inode ?? 0,
                TargetDevice = options.Binary?.Device ?? 0,
                StopOnExec = options.StopOnExec ? 1u : 0u,
                StopOnFork = options.StopOnFork && (options.FilterPids || options.Binary is not null) ? 1u : 0u,
                SpikeThresholdNs = options.SpikeThresholdNs,
            };
            obj.SetReadOnlyData(config);
            obj.Load();
            var source = new BpfAllocationSource(obj, options);
            foreach (var p in s_syscallPrograms)
                obj.Attach(p);
            // Every mode hears of exits: what is kept for a process is released when it ends.
            obj.Attach("tp_exit");
            if (config.FilterPids != 0)
                obj.Attach("tp_fork");
            // The guard holds the maps before the hook can stop anything.
            source._hold?.Start(options.GuardPath);
            if (config.FilterPids != 0)
                obj.Attach("tp_exec");
            if (config.StopOnFork != 0)
                foreach (var p in s_forkReturnPrograms)
                    obj.Attach(p);
            if (options.SpikeThresholdNs > 0)
                source.AttachCauseTracepoints();
            return source;
        }
        catch
        {
            obj.Dispose();
            throw;
        }
    }

    /// <summary>The compiled kernel side, embedded in this assembly at build time.</summary>
    public static byte[] EmbeddedObject()
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("alloclat.bpf.o")
            ?? throw new InvalidOperationException("alloclat.bpf.o is not embedded in Tracer.Probes");
        var bytes = new byte[s.Length];
        s.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Traces a process from now on.</summary>
    public void AddTarget(int pid) => _targets.Update<uint, byte>((uint)pid, TargetActive);

    /// <summary>
    /// Traces every process that executes an image under this name from now on (the kernel's comm: the file name,
    /// cut to 15 bytes). Running processes of that name are added with <see cref="AddTarget"/>.
    /// </summary>
    public void AddTargetName(string name)
    {
        var key = new CommKey();
        var bytes = System.Text.Encoding.UTF8.GetBytes(name);
        bytes.AsSpan(0, Math.Min(bytes.Length, AllocEvent.CommLength - 1)).CopyTo(key);
        _targetNames.Update(key, TargetActive);
    }

    [System.Runtime.CompilerServices.InlineArray(AllocEvent.CommLength)]
    private struct CommKey
    {
        private byte _first;
    }

    /// <summary>Traces a process from its next exec on: a command held until its probes are ready.</summary>
    public void AddTargetAtExec(int pid) => _targets.Update<uint, byte>((uint)pid, TargetAtExec);

    private const byte TargetActive = 1, TargetAtExec = 2;

    public bool RemoveTarget(int pid) => _targets.Delete((uint)pid);

    /// <summary>
    /// Attaches the probes of each site. With a pid the kernel inserts the breakpoints in that process only; -1
    /// inserts them in every process that maps the file. A site already attached for the same pid is skipped, so
    /// plans can be re-applied as processes come and go.
    /// </summary>
    public int AttachUprobes(IEnumerable<UprobeSite> sites, int pid)
    {
        int added = 0;
        ProcessProbes probes;
        lock (_probes)
        {
            if (!_probes.TryGetValue(pid, out probes!))
                _probes.Add(pid, probes = new ProcessProbes());
        }
        foreach (var site in sites)
        {
            if (!probes.Sites.Add((site.Path, site.FileOffset, site.Op)))
                continue;
            probes.Placed.Add(site);
            if (site.EntryProgram is { } entry)
                probes.Links.Add(_object.AttachUprobe(entry, pid, site.Path, site.FileOffset, site.Cookie, retprobe: false));
            if (site.ExitProgram is { } exit)
            {
                if (site.ReturnOffsets is { } returns)
                    foreach (ulong offset in returns)
                        probes.Links.Add(_object.AttachUprobe(exit, pid, site.Path, offset, site.Cookie, retprobe: false));
                else
                    probes.Links.Add(_object.AttachUprobe(exit, pid, site.Path, site.FileOffset, site.Cookie, retprobe: true));
            }
            added++;
            UprobeCount += site.ProbeCount;
            probes.ProbeCount += site.ProbeCount;
        }
        return added;
    }

    private sealed class ProcessProbes
    {
        public readonly HashSet<(string Path, ulong Offset, AllocOp Op)> Sites = new();
        public readonly List<BpfLink> Links = new();
        public readonly List<UprobeSite> Placed = new();
        public int ProbeCount;
    }

    /// <summary>Processes that have uprobes of their own in place.</summary>
    public int ProbedProcesses
    {
        get { lock (_probes) return _probes.Count(p => p.Key > 0); }
    }

    /// <summary>
    /// Releases what is kept for processes that exited: their uprobe links (detached in the background) and,
    /// through the recorder, their series once reported. (Symbol maps stay: a spike sample read after the exit
    /// still needs its process's map; their cache is bounded instead.)
    /// </summary>
    private void ReleaseExited()
    {
        while (_exits.TryPop(out uint tgid))
        {
            int pid = (int)tgid;
            ProcessProbes? probes;
            lock (_probes)
            {
                if (_probes.Remove(pid, out probes))
                    UprobeCount -= probes.ProbeCount;
            }
            if (probes is not null)
                _object.DetachLater(probes.Links);
            _recorder?.ProcessExited(pid);
        }
    }

    /// <summary>
    /// Measures what a probed call costs on this host: the collector's own libc malloc is timed bare, then with the
    /// same entry and return programs precise mode uses (the collector is not a target, so the programs take
    /// their early exit, as for a small allocation), then the probes are removed again.
    /// </summary>
    public double MeasureUprobeCostNs(int calls = 20_000)
    {
        int self = Environment.ProcessId;
        string libc = ProcMaps.ExecutableFiles(ProcMaps.Read(self)).FirstOrDefault(f => Path.GetFileName(f).StartsWith("libc.so", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("libc is not mapped in the collector");
        using var elf = Tracer.Elf.ElfFile.Open(libc);
        if (!elf.Symbols.TryGetDefinedFunction("malloc", out var malloc))
            throw new InvalidOperationException("libc has no malloc symbol");
        ulong offset = elf.VirtualAddressToFileOffset(malloc.Value);

        static long Time(int n)
        {
            long best = long.MaxValue;
            for (int round = 0; round < 3; round++)
            {
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                for (int i = 0; i < n; i++)
                    Marshal.FreeHGlobal(Marshal.AllocHGlobal(16));
                best = Math.Min(best, System.Diagnostics.Stopwatch.GetTimestamp() - t0);
            }
            return best;
        }

        long bare = Time(calls);
        ulong cookie = ((ulong)Allocators.Glibc << 8) | (byte)AllocOp.Malloc;
        using (_object.AttachUprobe("alloc_enter_size1", self, libc, offset, cookie, retprobe: false))
        using (_object.AttachUprobe(UprobeSite.AllocExitProgram, self, libc, offset, cookie, retprobe: true))
        {
            long probed = Time(calls);
            return Math.Max(0, (probed - bare) * 1e9 / System.Diagnostics.Stopwatch.Frequency / calls);
        }
    }

    /// <summary>
    /// Called on the polling thread for each target stopped at exec (with <see cref="ProbeOptions.StopOnExec"/>).
    /// The handler places its probes; the process is continued when it returns, whatever happened.
    /// </summary>
    public Action<int>? ExecStopped { get; set; }

    /// <summary>
    /// Called on the polling thread for each child of a target stopped before its first instruction (with
    /// <see cref="ProbeOptions.StopOnFork"/>): the child's pid, its parent's, and how long it has been held so far.
    /// The handler places its probes; the process is continued when it returns, whatever happened.
    /// </summary>
    public Action<int, int, TimeSpan>? ForkStopped { get; set; }

    private void Release(int pid, HeldProcess why)
    {
        if (why.Kind == HeldProcess.KindFork)
            ForkStopped?.Invoke(pid, (int)why.Parent, TimeSpan.FromTicks(Math.Max(0, MonotonicClock.NowMonotonicNs() - (long)why.SinceNs) / 100));
        else
            ExecStopped?.Invoke(pid);
    }

    /// <summary>
    /// Attaches to a forked child the sites its parent has (the child maps what its parent mapped when it forked),
    /// through the child's own /proc root; returns the sites attached, or null when the parent has no probes of
    /// its own (then the child's maps must be read).
    /// </summary>
    public IReadOnlyList<UprobeSite>? AttachLikeParent(int child, int parent)
    {
        List<UprobeSite> sites;
        lock (_probes)
        {
            if (!_probes.TryGetValue(parent, out var probes) || probes.Placed.Count == 0)
                return null;
            string from = $"/proc/{parent}/root", to = $"/proc/{child}/root";
            sites = probes.Placed.Select(s => s.Path.StartsWith(from + "/", StringComparison.Ordinal) ? s with { Path = to + s.Path[from.Length..] } : s).ToList();
        }
        AttachUprobes(sites, child);
        return sites;
    }

    /// <summary>Why no guard process protects held processes against a SIGKILL of the collector (null: one does).</summary>
    public string? GuardProblem => _hold?.GuardProblem;

    /// <summary>
    /// Stops stopping processes at exec and continues every one held now (unprobed): the first thing to do when
    /// tracing ends, before the sinks are flushed.
    /// </summary>
    public void StopHoldingExecs() => _hold?.Revoke();

    public void Poll(int timeoutMs, IAllocationRecorder recorder)
    {
        _recorder = recorder;
        if (_spikeReader is null)
            _reader.Poll(timeoutMs);
        else
            PerfBufferReader.WaitAndDrain([_reader, _spikeReader], timeoutMs);
        // The map, not the notification, says who is held: a notification lost with a full buffer holds no one.
        _hold?.ReleaseAll(ExecStopped is null && ForkStopped is null ? null : _release);
        ReleaseExited();
    }

    public SourceCounters ReadCounters() => new(
        Interlocked.Read(ref _events),
        Interlocked.Read(ref _lost),
        (long)(_stats.SumPerCpu((uint)BpfStat.InflightDropped) + _stats.SumPerCpu((uint)BpfStat.LiveDropped)));

    void IPerfSampleHandler.OnSample(int cpu, ReadOnlySpan<byte> data)
    {
        if (!MemoryMarshal.TryRead(data, out AllocEvent ev))
        {
            Interlocked.Increment(ref _malformed);
            return;
        }
        // Only a wake-up: Poll continues every process in the held map.
        if (ev.Op == (byte)AllocOp.ExecStopped)
            return;
        var comm = data.Slice(AllocEvent.CommOffset, AllocEvent.CommLength);
        // A Go stop-the-world carries the runtime's reason plus one in flags (0: the release passes none).
        byte stopReason = ev.Op == (byte)AllocOp.GcPause ? (byte)ev.Flags : (byte)0;
        if (Options.PerThread)
        {
            var key = new SeriesKey((int)ev.Pid, ev.Allocator, (AllocOp)ev.Op, SizeClass.Of(ev.Size), Tid: (int)ev.Tid, GoStopReason: stopReason);
            _recorder!.Record(key, ev.Size, (long)ev.LatencyNs, comm, data.Slice(AllocEvent.ThreadCommOffset, AllocEvent.CommLength));
        }
        else
        {
            var key = new SeriesKey((int)ev.Pid, ev.Allocator, (AllocOp)ev.Op, SizeClass.Of(ev.Size), GoStopReason: stopReason);
            _recorder!.Record(key, ev.Size, (long)ev.LatencyNs, comm);
        }
        Interlocked.Increment(ref _events);
    }

    void IPerfSampleHandler.OnLost(int cpu, ulong count) => Interlocked.Add(ref _lost, (long)count);

    public void Dispose()
    {
        // A process stopped at exec whose notification was not handled yet must not stay stopped.
        ExecStopped = null;
        ForkStopped = null;
        _hold?.Dispose();
        _spikeReader?.Dispose();
        _reader.Dispose();
        _object.Dispose();
    }
}
