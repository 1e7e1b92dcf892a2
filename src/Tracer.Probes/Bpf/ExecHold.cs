using Tracer.Native;
using Tracer.Native.Interop;

namespace Tracer.Probes;

/// <summary>
/// The processes the hooks stop so they can be probed before they run (a new image at exec, a child forked by a
/// target), and the lease that lets them.
/// The hook stops a target only while the lease is valid; a thread of its own renews it, so a collector that is
/// killed stops holding within <see cref="LeaseValid"/>, and the guard process then continues what was held.
/// Every stopped process is in the <c>held</c> map; whoever deletes its entry (this class, the guard, or the
/// process's own exit) is the one who sends SIGCONT, so no process is continued twice or left stopped. Other
/// collectors on the host hold the same processes in maps of their own: the SIGCONT is left to the last one that
/// lets go (<see cref="ExecHoldPeers"/>), so each has placed its probes before the process runs.
/// </summary>
internal sealed class ExecHold : IDisposable
{
    public static readonly TimeSpan LeaseValid = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_renewEvery = TimeSpan.FromMilliseconds(100);

    private readonly BpfMap _held;
    private readonly BpfMap _lease;
    private readonly uint[] _keys = new uint[16384];
    private readonly CancellationTokenSource _stop = new();
    private readonly object _sweep = new();
    // Renewing must never wait for a sweep: probing a held process can take longer than the lease is valid.
    private readonly object _grant = new();
    private Thread? _renewer;
    private bool _revoked;
    private readonly ExecHoldPeers _peers;
    // Released by this collector while another still held them: continued once no one holds them (see ReleaseAll).
    private readonly List<int> _deferred = new();

    public ExecHold(BpfMap held, BpfMap lease)
    {
        _held = held;
        _lease = lease;
        _peers = new ExecHoldPeers(held, LeaseValid);
    }

    /// <summary>Why no guard is running (null when one is): a SIGKILL would then leave held processes stopped.</summary>
    public string? GuardProblem { get; private set; }

    /// <summary>The guard running for this collector, if one is; its owner disposes it after the probes' object.</summary>
    public HoldGuard? Guard { get; private set; }

    /// <summary>Starts the guard (when a path is given), then grants the lease and keeps renewing it.</summary>
    public void Start(string? guardPath)
    {
        string? problem = "no guard was configured";
        Guard = guardPath is null ? null : HoldGuard.Start(guardPath, _held, _lease, out problem);
        GuardProblem = Guard is null ? problem : null;
        Renew();
        _renewer = new Thread(() =>
        {
            while (!_stop.Token.WaitHandle.WaitOne(s_renewEvery))
                Renew();
        }) { Name = "alloclat-lease", IsBackground = true };
        _renewer.Start();
    }

    private void Renew()
    {
        lock (_grant)
        {
            if (_revoked)
                return;
            ulong now = (ulong)MonotonicClock.NowMonotonicNs();
            _lease.Update(0u, new HoldLease { RenewedNs = now, ValidNs = (ulong)(LeaseValid.Ticks * 100) });
            _held.Update(ExecHoldPeers.HeartbeatKey, new HeldProcess { SinceNs = now });
        }
    }

    /// <summary>
    /// Continues every held process, after <paramref name="probe"/> (when given) has placed its probes (it is told
    /// why the process is held); a probe that throws still continues the process. Allocates nothing when no process
    /// is held.
    /// </summary>
    public void ReleaseAll(Action<int, HeldProcess>? probe)
    {
        lock (_sweep)
        {
            int n = _held.ReadKeys<uint>(_keys);
            for (int i = 0; i < n; i++)
            {
                if (_keys[i] == ExecHoldPeers.HeartbeatKey)
                    continue;
                int pid = (int)_keys[i];
                try
                {
                    if (probe is not null && _held.TryLookup(_keys[i], out HeldProcess why))
                        probe(pid, why);
                }
                finally
                {
                    // An entry already gone was continued by the guard, or its process exited (its pid may be reused).
                    if (_held.Delete(_keys[i]))
                    {
                        if (_peers.OthersHold(pid))
                            _deferred.Add(pid);
                        else
                            ProcessSignals.Continue(pid);
                    }
                }
            }
            if (_deferred.Count > 0)
                ContinueDeferred();
        }
    }

    /// <summary>
    /// Processes left to another collector's SIGCONT: once none holds them, one still stopped is continued here (two
    /// collectors letting go at the same instant may each have seen the other's entry).
    /// </summary>
    private void ContinueDeferred()
    {
        for (int i = _deferred.Count - 1; i >= 0; i--)
        {
            int pid = _deferred[i];
            if (_peers.OthersHold(pid))
                continue;
            _deferred.RemoveAt(i);
            if (KernelSupport.ProcessState(pid) == 'T')
                ProcessSignals.Continue(pid);
        }
    }

    /// <summary>Stops holding: the hook stops no process from now on, and every held one is continued unprobed.</summary>
    public void Revoke()
    {
        lock (_grant)
        {
            if (!_revoked)
            {
                _revoked = true;
                _lease.Update(0u, new HoldLease());
                // Other collectors stop waiting for this one.
                _held.Delete(ExecHoldPeers.HeartbeatKey);
            }
        }
        _stop.Cancel();
        ReleaseAll(null);
    }

    public void Dispose()
    {
        Revoke();
        _renewer?.Join();
        _stop.Dispose();
        _peers.Dispose();
    }
}
