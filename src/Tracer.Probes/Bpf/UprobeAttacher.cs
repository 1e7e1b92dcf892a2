using Tracer.Core;
using Tracer.Native;

namespace Tracer.Probes;

/// <summary>
/// The uprobes in place, per process: a site already attached for the same process is skipped, so plans can be
/// re-applied as processes come and go, and a process's links are released together when it exits. The sites of
/// one plan become one link per file, program and kind (entry, RET site, return): every function of glibc's malloc
/// family that shares an entry program is one link, and all their returns another, so a process has a handful of
/// links, not two per function, and each is removed with one kernel grace period.
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
    /// inserts them in every process that maps the file. Returns the number of sites newly attached. When the kernel
    /// refuses a link, the exception is thrown; the links made before it stay (released with the process).
    /// </summary>
    public int Attach(IEnumerable<UprobeSite> sites, int pid)
    {
        ProcessProbes probes;
        lock (_probes)
        {
            if (!_probes.TryGetValue(pid, out probes!))
                _probes.Add(pid, probes = new ProcessProbes());
        }
        var added = new List<UprobeSite>();
        foreach (var site in sites)
            if (probes.Sites.Add((site.Path, site.FileOffset, site.Op)))
                added.Add(site);
        var links = LinksOf(added).ToList();
        int attached = 0;
        try
        {
            for (; attached < links.Count; attached++)
            {
                var l = links[attached];
                probes.Links.Add(_object.AttachUprobes(l.Program, pid, l.Path, l.Offsets.ToArray(), l.Cookies.ToArray(), l.Return));
            }
        }
        finally
        {
            // A site is placed (and given to forked children) when every link it is part of is attached.
            var unplaced = links.Skip(attached).SelectMany(l => l.Sites).ToHashSet();
            probes.Placed.AddRange(added.Where(s => !unplaced.Contains(s)));
        }
        return added.Count;
    }

    /// <summary>The links that place <paramref name="sites"/>: one per file, program and kind of placement.</summary>
    private static IEnumerable<LinkGroup> LinksOf(IEnumerable<UprobeSite> sites)
    {
        var groups = new Dictionary<(string Path, string Program, bool Return), LinkGroup>();
        void Add(UprobeSite site, string program, ulong offset, bool ret)
        {
            if (!groups.TryGetValue((site.Path, program, ret), out var g))
                groups.Add((site.Path, program, ret), g = new LinkGroup(site.Path, program, ret));
            g.Offsets.Add(offset);
            g.Cookies.Add(site.Cookie);
            g.Sites.Add(site);
        }
        foreach (var site in sites)
        {
            if (site.EntryProgram is { } entry)
                Add(site, entry, site.FileOffset, ret: false);
            if (site.ExitProgram is { } exit)
            {
                if (site.ReturnOffsets is { } returns)
                    foreach (ulong offset in returns)
                        Add(site, exit, offset, ret: false);
                else
                    Add(site, exit, site.FileOffset, ret: true);
            }
        }
        return groups.Values;
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

    private sealed record LinkGroup(string Path, string Program, bool Return)
    {
        public readonly List<ulong> Offsets = new();
        public readonly List<ulong> Cookies = new();
        public readonly List<UprobeSite> Sites = new();
    }

    private sealed class ProcessProbes
    {
        public readonly HashSet<(string Path, ulong Offset, AllocOp Op)> Sites = new();
        public readonly List<BpfLink> Links = new();
        public readonly List<UprobeSite> Placed = new();
    }
}
