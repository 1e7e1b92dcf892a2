using Tracer.Native;
using Tracer.Native.Interop;

namespace Tracer.Probes;

/// <summary>
/// The gate at exec and fork: the exec tracepoint makes a process executing a target image (or a <c>--name</c>) a
/// target, and with <see cref="ProbeOptions.StopOnExec"/> stops it before the new image runs an instruction; with
/// <see cref="ProbeOptions.StopOnFork"/> a target's child forked without exec is stopped at its return from the fork.
/// Each poll the gate hands every held process to <see cref="Probe"/> or <see cref="ForkProbe"/> and continues it
/// (<see cref="ExecHold"/>: the lease, the held map and the guard).
/// </summary>
internal sealed class ExecGate : IDisposable
{
    // A forked child's return from each way of forking: where it is stopped for its own probes.
    private static readonly string[] s_forkReturnPrograms =
        [BpfPrograms.TpExitClone, BpfPrograms.TpExitClone3, BpfPrograms.TpExitFork, BpfPrograms.TpExitVfork];

    private readonly ExecHold? _hold;
    private readonly Action<int, HeldProcess> _release;

    private ExecGate(ExecHold? hold)
    {
        _hold = hold;
        _release = Release;
    }

    /// <summary>
    /// Attaches the exec tracepoint (when targets are filtered). With stop-on-exec the hold is started first, so the
    /// guard holds the maps before the hook can stop anything.
    /// </summary>
    public static ExecGate Open(BpfObject obj, ProbeOptions options)
    {
        bool holds = options.StopOnExec || options.StopOnFork;
        var gate = new ExecGate(holds ? new ExecHold(obj.Map(BpfMaps.Held), obj.Map(BpfMaps.Lease)) : null);
        try
        {
            gate._hold?.Start(options.GuardPath);
            if (BpfLoader.FiltersPids(options))
                obj.Attach(BpfPrograms.TpExec);
            if (BpfLoader.ConfigFor(options).StopOnFork != 0)
                foreach (var p in s_forkReturnPrograms)
                    obj.Attach(p);
            return gate;
        }
        catch
        {
            gate.Dispose();
            throw;
        }
    }

    /// <summary>Places the probes of a process held at exec; it is continued when this returns, whatever happened.</summary>
    public Action<int>? Probe { get; set; }

    /// <summary>
    /// Places the probes of a target's child held at its return from fork: the child's pid, its parent's, and how
    /// long it has been held so far; it is continued when this returns, whatever happened.
    /// </summary>
    public Action<int, int, TimeSpan>? ForkProbe { get; set; }

    /// <summary>
    /// Told first of every held process, while it is still stopped: a process that runs for milliseconds is best
    /// looked at now (its memory map is read then, for symbolizing its stacks after it has exited).
    /// </summary>
    public Action<int>? Held { get; set; }

    private void Release(int pid, HeldProcess why)
    {
        Held?.Invoke(pid);
        if (why.Kind == HeldProcess.KindFork)
            ForkProbe?.Invoke(pid, (int)why.Parent, TimeSpan.FromTicks(Math.Max(0, MonotonicClock.NowMonotonicNs() - (long)why.SinceNs) / 100));
        else
            Probe?.Invoke(pid);
    }

    /// <summary>Why no guard process protects held processes against a SIGKILL of the collector (null: one does).</summary>
    public string? GuardProblem => _hold?.GuardProblem;

    /// <summary>The guard process, when one runs.</summary>
    public HoldGuard? Guard => _hold?.Guard;

    /// <summary>Probes and continues every process held now. The map, not the notification, says who is held.</summary>
    public void PassHeld() => _hold?.ReleaseAll(Probe is null && ForkProbe is null && Held is null ? null : _release);

    /// <summary>Stops stopping processes at exec and continues every one held now (unprobed).</summary>
    public void Close() => _hold?.Revoke();

    public void Dispose()
    {
        // A process stopped at exec whose notification was not handled yet must not stay stopped.
        Probe = null;
        ForkProbe = null;
        Held = null;
        _hold?.Dispose();
    }
}
