using Tracer.Core;
using Tracer.Elf;
using Tracer.Native;

namespace Tracer.Probes;

/// <summary>What <c>alloclat ps</c> shows about one process.</summary>
/// <param name="Allocators">each allocator with how it is linked: <c>glibc</c>, <c>jemalloc (preloaded)</c>, <c>tcmalloc (static)</c>, <c>go</c></param>
/// <param name="Runtime"><c>go1.22.2</c>, <c>.NET 10.0.0</c>, or null</param>
/// <param name="Probe">what alloclat can place on it, or why not; starts with <c>yes</c> or <c>no</c></param>
public sealed record ProcessReport(int Pid, string Name, IReadOnlyList<string> Allocators, string? Runtime, string Cgroup, string? Container, bool CanProbe, string Probe);

/// <summary>
/// Inspects running processes the way <c>alloclat record</c> would before probing them: the files they map
/// executable, which allocator each holds, the Go build info of the executable, a .NET runtime in the maps.
/// ELF files are read once per file (by path, inode and size) however many processes map them.
/// </summary>
public sealed class ProcessSurvey
{
    private readonly Dictionary<(string, ulong, long), (byte? Allocator, string? Go, string? GoProblem)> _files = new();

    /// <summary>Every user process (kernel threads have no maps and are left out), this one excepted.</summary>
    public IEnumerable<ProcessReport> All()
    {
        int self = Environment.ProcessId;
        var pids = ProcessFinder.All().Where(pid => pid != self).ToList();
        pids.Sort();
        foreach (int pid in pids)
            if (Inspect(pid) is { } report)
                yield return report;
    }

    /// <summary>The report of one process; null when it is a kernel thread or has exited.</summary>
    public ProcessReport? Inspect(int pid)
    {
        string? name = ProcessFinder.NameOf(pid);
        if (name is null || ProcessStat.Read(pid) is not { IsKernelThread: false })
            return null;
        string cgroup = ProcessCgroup.Describe(pid);
        string? container = ProcessCgroup.ContainerOf(pid);
        IReadOnlyList<MapEntry> maps;
        try
        {
            maps = ProcMaps.Read(pid);
        }
        catch (UnauthorizedAccessException)
        {
            return new ProcessReport(pid, name, [], null, cgroup, container, false,
                "no uprobes: /proc/PID/maps is not readable (permission denied); its syscalls can still be traced");
        }
        catch (IOException)
        {
            return null;
        }
        if (maps.Count == 0)
            return null;

        string root = $"/proc/{pid}/root";
        var preload = Preloaded(pid);
        var allocators = new List<string>();
        var notes = new List<string>();
        var partial = new List<string>();
        string? runtime = null;
        var files = ProcMaps.ExecutableFiles(maps);
        string? exe = maps.FirstOrDefault(m => m.IsFile).Path;
        if (exe is not null && exe.StartsWith("/memfd:", StringComparison.Ordinal))
            notes.Add("its executable is an in-memory file (memfd), in which no uprobe can be placed");
        else if (exe is not null && exe.EndsWith(" (deleted)", StringComparison.Ordinal))
            notes.Add("its executable was deleted after it started (an upgrade?), so no uprobe can be placed in it");
        for (int i = 0; i < files.Count; i++)
        {
            string path = files[i];
            var (allocator, go, goProblem) = Classify(path, root + path);
            if (go is not null)
            {
                runtime = go;
                allocators.Add("go");
                if (goProblem is not null && goProblem.StartsWith("partly: ", StringComparison.Ordinal))
                    partial.Add(goProblem["partly: ".Length..]);
                else if (goProblem is not null)
                    notes.Add($"Go probes cannot be placed: {goProblem}");
                continue;
            }
            if (allocator is not { } id)
                continue;
            string label = Allocators.Name(id);
            if (i == 0 && path == exe)
                label += " (static)";
            else if (preload.Contains(Path.GetFileName(path)) || preload.Contains(path))
                label += " (preloaded)";
            if (!allocators.Contains(label))
                allocators.Add(label);
        }
        // The allocator that serves malloc first: a preloaded one wins over the libraries mapped before it.
        allocators = [.. allocators.Where(a => a.EndsWith("(preloaded)", StringComparison.Ordinal)), .. allocators.Where(a => !a.EndsWith("(preloaded)", StringComparison.Ordinal))];
        if (maps.FirstOrDefault(m => Path.GetFileName(m.Path) == "libcoreclr.so").Path is { } coreclr)
        {
            string version = Path.GetFileName(Path.GetDirectoryName(coreclr) ?? "");
            runtime = version.Length > 0 && char.IsAsciiDigit(version[0]) ? $".NET {version}" : ".NET (self-contained)";
        }

        string probe;
        if (notes.Count > 0)
            probe = "syscalls only: " + string.Join("; ", notes);
        else if (allocators.Count == 0)
            probe = $"syscalls; --precise finds no allocator (looked for {AllocatorCatalog.SearchedNames})";
        else
            probe = runtime is not null && runtime.StartsWith("go", StringComparison.Ordinal)
                ? "yes: syscalls, Go large allocations and GC pauses" + (partial.Count > 0 ? $" (not: {string.Join("; ", partial)})" : "")
                : $"yes: syscalls; --precise probes {string.Join(", ", allocators.Select(a => a.Split(' ')[0]).Distinct())}";
        return new ProcessReport(pid, name, allocators, runtime, cgroup, container, notes.Count == 0, probe);
    }

    private (byte?, string?, string?) Classify(string path, string attachPath)
    {
        (ulong, long) id;
        try
        {
            var info = new FileInfo(attachPath);
            id = ((ulong)info.LastWriteTimeUtc.Ticks, info.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, null, null);
        }
        if (_files.TryGetValue((path, id.Item1, id.Item2), out var known))
            return known;
        (byte?, string?, string?) result = (null, null, null);
        try
        {
            using var elf = ElfFile.Open(attachPath);
            var binary = GoProbes.Identify(elf, path, out string? unknownVersion);
            if (binary is not null)
            {
                string? problem = null;
                var problems = new List<string>();
                try
                {
                    GoProbes.Sites(elf, path, attachPath, binary, problems);
                    // Some functions left out: the rest is probed, and the row says what is missing.
                    if (problems.Count > 0)
                        problem = "partly: " + string.Join("; ", problems);
                }
                catch (UnprobeableBinaryException e)
                {
                    problem = e.Message;
                }
                result = (Allocators.Go, binary.Version, problem);
            }
            else if (unknownVersion is not null)
            {
                result = (Allocators.Go, "go (version unknown)", unknownVersion);
            }
            else
            {
                result = (AllocatorCatalog.Classify(path, elf), null, null);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ElfFormatException or UnprobeableBinaryException)
        {
        }
        _files[(path, id.Item1, id.Item2)] = result;
        return result;
    }

    /// <summary>LD_PRELOAD of the process, as paths and file names.</summary>
    private static HashSet<string> Preloaded(int pid)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            if (ProbePlanner.ReadEnvironment(pid).TryGetValue("LD_PRELOAD", out var value))
                foreach (var entry in value.Split([' ', ':'], StringSplitOptions.RemoveEmptyEntries))
                {
                    set.Add(entry);
                    set.Add(Path.GetFileName(entry));
                }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return set;
    }
}
