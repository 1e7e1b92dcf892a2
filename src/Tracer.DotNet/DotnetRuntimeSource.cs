using Tracer.Native;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Tracer.Core;

namespace Tracer.DotNet;

/// <summary>
/// The .NET runtime's own events as a second event source beside the kernel's: GC pauses (<c>gc_pause</c>,
/// <c>runtime=dotnet</c>, tagged by generation, reason and type) and allocation ticks of the large and pinned
/// object heaps (<c>dotnet_alloc_sample</c>). Targets are handed in as they appear; those that run the runtime get
/// an EventPipe session each (<see cref="DotnetSession"/>, parsed on its own thread), and what the sessions parse is
/// queued to the polling thread, which records it into the same series table as the kernel's events: the
/// kernel's hot path takes no lock for this. A target that runs .NET but cannot be reached gets one warning.
/// </summary>
public sealed class DotnetRuntimeSource : IEventSource
{
    /// <summary>How long a process that just executed an image is watched for the runtime to be loaded.</summary>
    private static readonly TimeSpan s_loadWindow = TimeSpan.FromSeconds(10);

    /// <summary>How long a process with the runtime mapped is given to open its diagnostics socket.</summary>
    private static readonly TimeSpan s_socketWindow = TimeSpan.FromSeconds(3);

    private sealed class Candidate
    {
        public required long Since;
        public long NextCheck;
        public long Interval = Stopwatch.Frequency / 100;
        public long RuntimeSeen;
    }

    private readonly TextWriter _log;
    private readonly ConcurrentQueue<DotnetEvent> _queue = new();
    private readonly object _gate = new();
    private readonly Dictionary<int, DotnetSession> _sessions = new();
    private readonly Dictionary<int, Candidate> _candidates = new();
    private readonly HashSet<int> _settled = new();
    private readonly Dictionary<int, byte[]> _comms = new();
    private readonly AllocationSamples _samples = new();
    private long _lastTake = Stopwatch.GetTimestamp();
    private long _events;
    private long _lostOfEnded;

    public DotnetRuntimeSource(TextWriter log) => _log = log;

    /// <summary>Sessions open now.</summary>
    public int ActiveSessions
    {
        get
        {
            lock (_gate)
                return _sessions.Values.Count(s => !s.HasEnded);
        }
    }

    /// <summary>
    /// A running target (<c>-p</c>, a running process of <c>--binary</c>): if it runs .NET, its session is opened now
    /// or a warning says why it cannot be.
    /// </summary>
    public void AddRunningProcess(int pid)
    {
        if (DotnetProcess.MapsRuntime(pid))
            Open(pid);
    }

    /// <summary>
    /// A target that has just executed a new image: the runtime is not loaded yet. It is watched for a while, and
    /// its session is opened once the runtime has opened its diagnostics socket. Processes that never load the
    /// runtime are forgotten without a word.
    /// </summary>
    public void AddStartingProcess(int pid)
    {
        // A .NET host started with its diagnostics off is known at exec: say so even if it exits at once.
        if (DotnetProcess.Disabled(DotnetProcess.Environment(pid)) is not null && DotnetProcess.IsHostExecutable(pid))
        {
            Warn(pid, DotnetProcess.FindEndpoint(pid), "a .NET host");
            return;
        }
        long now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (_sessions.TryGetValue(pid, out var s) && !s.HasEnded)
                return;
            _settled.Remove(pid);
            _candidates[pid] = new Candidate { Since = now, NextCheck = now };
        }
    }

    public void Poll(int timeoutMs, IAllocationRecorder recorder)
    {
        WatchCandidates();
        while (_queue.TryDequeue(out var e))
        {
            byte[] comm = CommOf(e.Pid);
            if (e.IsPause)
                recorder.Record(new SeriesKey(e.Pid, Allocators.Dotnet, AllocOp.GcPause, 0, e.Gc), 0, e.PauseNs, comm);
            else
                _samples.Add(e.Pid, Encoding.UTF8.GetString(comm), e.Kind, e.Amount, e.ObjectSize, e.TypeName ?? "");
            _events++;
        }
    }

    public SourceCounters ReadCounters()
    {
        long lost = Interlocked.Read(ref _lostOfEnded);
        lock (_gate)
            foreach (var s in _sessions.Values)
                lost += s.Lost;
        return new SourceCounters(_events, lost, 0);
    }

    public IReadOnlyList<EventPoint> TakeEvents()
    {
        long now = Stopwatch.GetTimestamp();
        double seconds = (now - _lastTake) / (double)Stopwatch.Frequency;
        _lastTake = now;
        return _samples.Take(seconds);
    }

    /// <summary>
    /// Ends every session and waits up to <paramref name="timeout"/> for their streams to be read to the end, so
    /// the last pauses are queued before the final poll.
    /// </summary>
    public void StopSessions(TimeSpan timeout)
    {
        List<DotnetSession> sessions;
        lock (_gate)
        {
            _candidates.Clear();
            sessions = _sessions.Values.ToList();
        }
        foreach (var s in sessions)
            s.RequestStop();
        var deadline = Stopwatch.StartNew();
        foreach (var s in sessions)
            if (!s.WaitEnded(Max(TimeSpan.Zero, timeout - deadline.Elapsed)))
                _log.WriteLine($"[WARN] process {s.Pid}: its EventPipe session did not end within {timeout.TotalSeconds:0} s; its last events may be missing");
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the sessions of processes that exited to be read to their end.</summary>
    public void WaitForExitedSessions(TimeSpan timeout)
    {
        List<DotnetSession> sessions;
        lock (_gate)
            sessions = _sessions.Values.Where(s => !KernelSupport.ProcessRunning(s.Pid)).ToList();
        var deadline = Stopwatch.StartNew();
        foreach (var s in sessions)
            s.WaitEnded(Max(TimeSpan.Zero, timeout - deadline.Elapsed));
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    public void Dispose() => StopSessions(TimeSpan.FromSeconds(5));

    private void WatchCandidates()
    {
        long now = Stopwatch.GetTimestamp();
        List<int>? due = null;
        lock (_gate)
        {
            foreach (var (pid, c) in _candidates)
                if (now >= c.NextCheck)
                    (due ??= new()).Add(pid);
        }
        if (due is null)
            return;
        foreach (int pid in due)
        {
            Candidate c;
            lock (_gate)
                if (!_candidates.TryGetValue(pid, out c!))
                    continue;
            bool done = Check(pid, c, now);
            lock (_gate)
            {
                if (done)
                    _candidates.Remove(pid);
                else
                {
                    c.NextCheck = now + c.Interval;
                    c.Interval = Math.Min(c.Interval * 2, Stopwatch.Frequency / 2);
                }
            }
        }
    }

    /// <summary>One look at a process being watched; true when there is nothing more to wait for.</summary>
    private bool Check(int pid, Candidate c, long now)
    {
        if (!KernelSupport.ProcessRunning(pid))
            return true;
        if (c.RuntimeSeen == 0)
        {
            if (!DotnetProcess.MapsRuntime(pid))
                return now - c.Since > s_loadWindow.TotalSeconds * Stopwatch.Frequency;
            c.RuntimeSeen = now;
            c.Interval = Stopwatch.Frequency / 200;
        }
        var endpoint = DotnetProcess.FindEndpoint(pid);
        bool disabled = DotnetProcess.Disabled(DotnetProcess.Environment(pid)) is not null;
        if (endpoint.SocketPath is null && !disabled && now - c.RuntimeSeen < s_socketWindow.TotalSeconds * Stopwatch.Frequency)
            return false;
        Open(pid, endpoint);
        return true;
    }

    private void Open(int pid, DiagnosticEndpoint? endpoint = null)
    {
        endpoint ??= DotnetProcess.FindEndpoint(pid);
        lock (_gate)
        {
            if (_sessions.TryGetValue(pid, out var running) && !running.HasEnded)
                return;
            if (endpoint.SocketPath is null)
            {
                Warn(pid, endpoint, $"{DotnetProcess.RuntimeLibrary} is mapped");
                return;
            }
            if (running is not null)
                Interlocked.Add(ref _lostOfEnded, running.Lost);
            _comms[pid] = DotnetProcess.Comm(pid);
            var session = new DotnetSession(pid, endpoint.SocketPath, _queue.Enqueue,
                m => _log.WriteLine($"[WARN] {m}"), m => _log.WriteLine($"[INFO] {m}"));
            _sessions[pid] = session;
            session.Start();
        }
    }

    private void Warn(int pid, DiagnosticEndpoint endpoint, string evidence)
    {
        // One warning per process, however often it executes or is added.
        lock (_gate)
            if (_settled.Add(pid))
                _log.WriteLine($"[WARN] process {pid} runs .NET ({evidence}) but {endpoint.Problem}: its GC pauses and large-object allocations are not traced, its syscalls are");
    }

    private byte[] CommOf(int pid)
    {
        lock (_gate)
            return _comms.TryGetValue(pid, out var c) ? c : "?"u8.ToArray();
    }
}
