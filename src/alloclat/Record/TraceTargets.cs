using Tracer.Core;
using Tracer.Native;
using Tracer.Probes;

namespace Alloclat.Cli.Record;

/// <summary>Targets chosen by name (<c>-n</c>) or cgroup (<c>--cgroup</c>), and the <c>container</c> tag.</summary>
internal sealed partial class TraceSession
{
    private readonly CgroupTarget? _cgroup;
    private readonly HashSet<int> _cgroupSeen = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, string?> _containers = new();

    private void AddNamedAndCgroupProcesses(BpfAllocationSource source)
    {
        if (_o.Names.Count > 0)
        {
            foreach (var name in _o.Names)
                source.AddTargetName(name);
            int found = 0;
            foreach (int pid in ProcessFinder.Named(_o.Names))
            {
                AddRunning(source, pid, $"named {ProcessFinder.NameOf(pid)}");
                found++;
            }
            if (found == 0)
                _err.WriteLine($"[INFO] no process named {string.Join(" or ", _o.Names)} runs yet; each one that starts is traced");
        }
        if (_cgroup is not null)
        {
            foreach (int pid in _cgroup.Members())
            {
                _cgroupSeen.Add(pid);
                AddRunning(source, pid, $"in cgroup {_o.Cgroup}");
            }
            if (_cgroupSeen.Count == 0)
                _err.WriteLine($"[INFO] cgroup {_o.Cgroup} holds no process yet; processes that join it are traced from the next interval");
        }
    }

    /// <summary>
    /// Processes moved into the cgroup since the last interval: traced from now on (their syscalls; their probes
    /// are placed when they next execute an image). What members fork is followed in BPF already.
    /// </summary>
    public void AddCgroupNewcomers()
    {
        var source = Source!;
        if (_cgroup is null)
            return;
        var members = _cgroup.Members();
        foreach (int pid in members)
        {
            if (_cgroupSeen.Add(pid))
            {
                NoteContainer(pid);
                source.AddTarget(pid);
            }
        }
        // Members that left (most of them exited) are not remembered: the set follows the cgroup, not its history.
        _cgroupSeen.IntersectWith(members);
    }

    private void AddRunning(BpfAllocationSource source, int pid, string why)
    {
        NoteContainer(pid);
        source.AddTarget(pid);
        try
        {
            AttachToProcess(source, pid);
        }
        catch (Exception e) when (ExitCodeMap.IsKnown(e) || e is LibbpfException)
        {
            _err.WriteLine($"[WARN] process {pid} {why}: {e.Message}");
        }
    }

    /// <summary>
    /// The tag <c>container</c>: a container runtime's id, else with --cgroup the process's path in it. Learnt while
    /// the process is known to be alive (found running, or stopped at exec), because its events may be read only
    /// after it has exited; a process seen first through its events is looked up then.
    /// </summary>
    public string? ContainerOf(int pid) => _containers.TryGetValue(pid, out var known) ? known : NoteContainer(pid);

    private string? NoteContainer(int pid)
    {
        string? container = ProcessCgroup.ContainerOf(pid) ?? _cgroup?.PathOf(pid);
        _containers[pid] = container;
        return container;
    }

    /// <summary>An exited process whose series are all gone: its tag is not needed again.</summary>
    public void ForgetContainer(int pid)
    {
        _containers.TryRemove(pid, out _);
    }
}
