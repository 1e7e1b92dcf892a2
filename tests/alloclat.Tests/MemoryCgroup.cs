namespace Alloclat.Tests;

/// <summary>
/// A memory cgroup of its own with a limit, on cgroup v2 (<c>memory.max</c>) where the memory controller is there,
/// else on v1 (<c>memory.limit_in_bytes</c>). Removed on dispose, after the processes in it have exited.
/// </summary>
public sealed class MemoryCgroup : IDisposable
{
    public string Path { get; }

    public string Version { get; }

    private MemoryCgroup(string path, string version)
    {
        Path = path;
        Version = version;
    }

    public static MemoryCgroup Create(long limitBytes)
    {
        string name = $"alloclat-test-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40];
        var (root, version) = FindMemoryHierarchy();
        string path = System.IO.Path.Combine(root, name);
        Directory.CreateDirectory(path);
        var cg = new MemoryCgroup(path, version);
        File.WriteAllText(System.IO.Path.Combine(path, version == "v2" ? "memory.max" : "memory.limit_in_bytes"),
            limitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return cg;
    }

    /// <summary>A shell command that moves itself into this cgroup, then executes <paramref name="command"/>.</summary>
    public string[] Wrap(params string[] command) =>
        ["sh", "-c", $"echo $$ > '{System.IO.Path.Combine(Path, "cgroup.procs")}' && exec \"$@\"", "sh", .. command];

    /// <summary>Times the cgroup hit its limit: v1 memory.failcnt, v2 the "max" count of memory.events.</summary>
    public long LimitHits()
    {
        if (Version == "v1")
            return long.Parse(File.ReadAllText(System.IO.Path.Combine(Path, "memory.failcnt")).Trim());
        foreach (var line in File.ReadLines(System.IO.Path.Combine(Path, "memory.events")))
            if (line.StartsWith("max ", StringComparison.Ordinal))
                return long.Parse(line[4..]);
        return 0;
    }

    private static (string Root, string Version) FindMemoryHierarchy()
    {
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // ... mount-point ... - fstype source super-options
            var parts = line.Split(' ');
            int dash = Array.IndexOf(parts, "-");
            if (dash < 0 || dash + 3 >= parts.Length)
                continue;
            string mount = parts[4], type = parts[dash + 1], options = parts[dash + 3];
            string controllers = System.IO.Path.Combine(mount, "cgroup.controllers");
            if (type == "cgroup2" && File.Exists(controllers) && File.ReadAllText(controllers).Split(' ', '\n').Contains("memory"))
            {
                // Children get the controller only when the parent enables it for them.
                File.AppendAllText(System.IO.Path.Combine(mount, "cgroup.subtree_control"), "+memory");
                return (mount, "v2");
            }
        }
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var parts = line.Split(' ');
            int dash = Array.IndexOf(parts, "-");
            if (dash >= 0 && dash + 3 < parts.Length && parts[dash + 1] == "cgroup" && parts[dash + 3].Split(',').Contains("memory"))
                return (parts[4], "v1");
        }
        throw new InvalidOperationException("no memory cgroup controller is mounted (neither v2 with memory nor v1 memory)");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path);
        }
        catch (IOException)
        {
            // Still populated: a process of the test outlived it. The kernel frees an empty cgroup only on rmdir.
        }
    }
}
