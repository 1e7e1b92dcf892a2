using Tracer.Native;

namespace Tracer.Probes;

/// <summary>
/// Finds running processes in <c>/proc</c>: every one, those of a name, those running an executable. A process
/// found may exit at any moment after; callers treat each pid as possibly gone.
/// </summary>
public static class ProcessFinder
{
    /// <summary>Every process's pid, in the order /proc lists them, this one included.</summary>
    public static IEnumerable<int> All()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out int pid))
                yield return pid;
    }

    /// <summary>
    /// Processes whose name (the kernel's comm: the executable's file name, cut to 15 bytes) is one of
    /// <paramref name="names"/>, this one excepted.
    /// </summary>
    public static IEnumerable<int> Named(IReadOnlyCollection<string> names)
    {
        int self = Environment.ProcessId;
        foreach (int pid in All())
            if (pid != self && NameOf(pid) is { } comm && names.Contains(comm))
                yield return pid;
    }

    /// <summary>Processes whose executable is the file of this inode and kernel device (<see cref="KernelSupport.FileIdentity"/>).</summary>
    public static IEnumerable<int> Running((ulong Inode, ulong Device) executable)
    {
        foreach (int pid in All())
        {
            (ulong, ulong) id;
            try
            {
                id = KernelSupport.FileIdentity($"/proc/{pid}/exe");
            }
            catch (FileNotFoundException)
            {
                continue;
            }
            if (id == executable)
                yield return pid;
        }
    }

    /// <summary>The process's name (its comm), or null when it has exited.</summary>
    public static string? NameOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
