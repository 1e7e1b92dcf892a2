namespace Tracer.Probes;

/// <summary>
/// <c>--cgroup PATH</c>: a cgroup directory of either version (<c>/sys/fs/cgroup/unified/web</c>,
/// <c>/sys/fs/cgroup/memory/batch</c>, <c>/sys/fs/cgroup/system.slice/nginx.service</c>), and the processes in it
/// and in its descendants, read from their <c>cgroup.procs</c>.
/// </summary>
public sealed class CgroupTarget
{
    private CgroupTarget(string directory, string hierarchyPath)
    {
        Directory = directory;
        HierarchyPath = hierarchyPath;
    }

    /// <summary>The directory as given, without a trailing slash.</summary>
    public string Directory { get; }

    /// <summary>The cgroup's path inside its hierarchy, as <c>/proc/PID/cgroup</c> writes it (<c>/batch</c>).</summary>
    public string HierarchyPath { get; }

    /// <summary>Opens a cgroup directory; a path that is not one is an argument error naming it.</summary>
    public static CgroupTarget Open(string path)
    {
        string dir = Path.GetFullPath(path).TrimEnd('/');
        if (!System.IO.Directory.Exists(dir))
            throw new InvalidTargetException($"cgroup {path} does not exist");
        if (!File.Exists(Path.Combine(dir, "cgroup.procs")))
            throw new InvalidTargetException($"{path} is not a cgroup directory (it has no cgroup.procs)");
        string mount = MountPointOf(dir)
            ?? throw new InvalidTargetException($"{path} is not on a mounted cgroup file system");
        string rel = dir.Length > mount.Length ? dir[mount.Length..] : "/";
        return new CgroupTarget(dir, rel);
    }

    /// <summary>The processes in the cgroup and its descendants now.</summary>
    public HashSet<int> Members()
    {
        var pids = new HashSet<int>();
        var pending = new Stack<string>();
        pending.Push(Directory);
        while (pending.Count > 0)
        {
            string dir = pending.Pop();
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(dir, "cgroup.procs")))
                    if (int.TryParse(line, out int pid))
                        pids.Add(pid);
                foreach (var child in System.IO.Directory.EnumerateDirectories(dir))
                    pending.Push(child);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // a child cgroup removed while we walked: its processes left with it
            }
        }
        return pids;
    }

    /// <summary>Where the process is below this cgroup (<c>/batch/job1</c>), or null when it is not in it.</summary>
    public string? PathOf(int pid)
    {
        foreach (var (_, _, path) in ProcessCgroup.Read(pid))
            if (path == HierarchyPath || HierarchyPath == "/" || path.StartsWith(HierarchyPath + "/", StringComparison.Ordinal))
                return path;
        return null;
    }

    /// <summary>The longest cgroup or cgroup2 mount point holding the directory, from /proc/self/mountinfo.</summary>
    private static string? MountPointOf(string dir)
    {
        string? best = null;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            var fields = line.Split(' ');
            int dash = Array.IndexOf(fields, "-");
            if (dash < 0 || dash + 1 >= fields.Length || fields[dash + 1] is not ("cgroup" or "cgroup2"))
                continue;
            string mount = fields[4].Replace("\\040", " ");
            if ((dir == mount || dir.StartsWith(mount + "/", StringComparison.Ordinal)) && (best is null || mount.Length > best.Length))
                best = mount;
        }
        return best;
    }
}
