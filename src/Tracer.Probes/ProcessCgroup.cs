using System.Text.RegularExpressions;

namespace Tracer.Probes;

/// <summary>
/// Where a process runs, from <c>/proc/PID/cgroup</c>: its cgroup path and, when a container runtime created that
/// cgroup (docker, containerd, CRI-O, podman, Kubernetes), the container's short id.
/// </summary>
public static partial class ProcessCgroup
{
    // docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope, or a bare <id> component
    // (/docker/<id>, /kubepods/burstable/pod.../<id>).
    [GeneratedRegex(@"(?:^|/)(?:[a-z-]+-)?([0-9a-f]{64})(?:\.scope)?(?:/|$)")]
    private static partial Regex ContainerComponent();

    /// <summary>The lines of <c>/proc/PID/cgroup</c> as (hierarchy id, controllers, path); empty when the process is gone.</summary>
    public static IReadOnlyList<(string Hierarchy, string Controllers, string Path)> Read(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/cgroup");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        var result = new List<(string, string, string)>();
        foreach (var line in lines)
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3)
                result.Add((parts[0], parts[1], parts[2]));
        }
        return result;
    }

    /// <summary>The first 12 hex digits of the container id in a cgroup path, or null.</summary>
    public static string? ContainerId(string cgroupPath)
    {
        var m = ContainerComponent().Match(cgroupPath);
        return m.Success ? m.Groups[1].Value[..12] : null;
    }

    /// <summary>The container id of a process, from any of its hierarchies; null when it runs in none.</summary>
    public static string? ContainerOf(int pid)
    {
        foreach (var (_, _, path) in Read(pid))
            if (ContainerId(path) is { } id)
                return id;
        return null;
    }

    /// <summary>
    /// The process's cgroup, for display: the unified (v2) path when it is not the root, else the first v1
    /// hierarchy that places it below its root (<c>memory:/batch/job1</c>), else <c>/</c>.
    /// </summary>
    public static string Describe(int pid)
    {
        var lines = Read(pid);
        foreach (var (h, _, path) in lines)
            if (h == "0" && path != "/")
                return path;
        foreach (var (h, controllers, path) in lines)
            if (h != "0" && path != "/")
                return $"{controllers}:{path}";
        return lines.Count == 0 ? "?" : "/";
    }
}
