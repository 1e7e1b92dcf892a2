using Tracer.Core;
using Tracer.Native;

namespace Tracer.Probes;

/// <summary>
/// The uprobes in place, per process: a site already attached for the same process is skipped, so plans can be
/// re-applied as processes come and go, and a process's links are released together when it exits.
/// </summary>
internal sealed class UprobeAttacher
{
    private readonly BpfObject _object;
    private readonly Dictionary<int, ProcessProbes> _probes = new();

    public UprobeAttacher(BpfObject obj) => _object = obj;

    /// <summary>Processes that have uprobes of their own in place.</summary>
    public int ProbedProcesses
    {
        get { lock (_probes) return _probes.Count(p => p.Key > 0); }
    }

    /// <summary>
    /// Attaches the probes of each site. With a pid the kernel inserts the breakpoints in that process only; -1
    /// inserts them in every process that maps the file. Returns the number of sites newly attached.
    /// </summary>
    public int Attach(IEnumerable<UprobeSite> sites, int pid)
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
        }
        return added;
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
        Attach(sites, child);
        return sites;
    }

    /// <summary>Detaches, in the background, the links of a process that exited.</summary>
    public void Release(int pid)
    {
        ProcessProbes? probes;
        lock (_probes)
        {
            _probes.Remove(pid, out probes);
        }
        if (probes is not null)
            _object.DetachLater(probes.Links);
    }

    private sealed class ProcessProbes
    {
        public readonly HashSet<(string Path, ulong Offset, AllocOp Op)> Sites = new();
        public readonly List<BpfLink> Links = new();
        public readonly List<UprobeSite> Placed = new();
    }
}
