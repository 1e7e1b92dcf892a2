using Tracer.Core;
using Tracer.Elf;
using Tracer.Elf.Loader;

namespace Tracer.Probes;

/// <summary>
/// The allocators found in a set of files, the uprobe sites that cover them, and what could not be probed
/// (a Go binary missing its runtime functions, say) in one sentence each.
/// </summary>
public sealed record ProbePlan(IReadOnlyList<UprobeSite> Sites, IReadOnlyList<string> Allocators, IReadOnlyList<string> Searched, IReadOnlyList<string> Problems)
{
    public bool IsEmpty => Sites.Count == 0;


    /// <summary>The one-line reason given when precise mode finds nothing to probe.</summary>
    public string NothingFoundMessage(string what) =>
        $"no allocator found in {what}: looked for {AllocatorCatalog.SearchedNames} in {string.Join(", ", Searched)}";
}

/// <summary>
/// Builds probe plans for a running process, a command about to start, or a binary. Go binaries are always
/// planned (their probes sit on the slow path only); the malloc family only when <c>precise</c> is set.
/// </summary>
public static class ProbePlanner
{
    /// <summary>Plan for a running process, from the files it has mapped executable.</summary>
    public static ProbePlan ForProcess(int pid, bool precise)
    {
        IReadOnlyList<MapEntry> maps;
        try
        {
            maps = ProcMaps.Read(pid);
        }
        catch (UnauthorizedAccessException)
        {
            // Root in another user namespace, or a process under stricter ptrace rules: it exists, it is just closed.
            throw new TargetAccessDeniedException(pid, $"cannot read /proc/{pid}/maps (permission denied): the executables of process {pid} cannot be inspected");
        }
        catch (IOException)
        {
            throw new TargetGoneException(pid, $"process {pid} does not exist (or exited)");
        }
        string root = $"/proc/{pid}/root";
        var files = ProcMaps.ExecutableFiles(maps);
        // The Go runtime lives in the executable, which is mapped first.
        return ForFiles((precise ? files : files.Take(1)).Select(p => (p, root + p)), precise);
    }

    /// <summary>
    /// Plan for a command that has not run yet: its executable, LD_PRELOAD and the libraries it needs,
    /// resolved the way the dynamic loader will.
    /// </summary>
    public static ProbePlan ForCommand(string executable, IReadOnlyDictionary<string, string> environment, bool precise, string root = "", string? workingDirectory = null)
    {
        var files = new List<string> { executable };
        if (!precise)
            return ForFiles(files.Select(p => (p, root + p)), precise);
        files.AddRange(LoaderFiles(executable, environment, root, workingDirectory).Libraries);
        return ForFiles(files.Select(p => (p, root + p)), precise);
    }

    /// <summary>
    /// The interpreter and libraries the dynamic loader maps for <paramref name="executable"/>, resolved through
    /// <paramref name="root"/> (a process's /proc/PID/root, or "" for the collector's own) with the given environment,
    /// as paths in that root. Relative LD_PRELOAD paths are taken from <paramref name="workingDirectory"/>.
    /// </summary>
    internal static (string? Interpreter, IReadOnlyList<string> Libraries) LoaderFiles(string executable,
        IReadOnlyDictionary<string, string> environment, string root = "", string? workingDirectory = null)
    {
        var options = new LibraryResolverOptions();
        if (root.Length > 0)
            options = options with { CachePath = root + LdSoCache.DefaultPath };
        if (workingDirectory is not null)
            options = options with { WorkingDirectory = root + workingDirectory };
        var resolved = new LibraryResolver(options).Resolve(root + executable, environment);
        string InRoot(string p) => root.Length > 0 && p.StartsWith(root, StringComparison.Ordinal) ? p[root.Length..] : p;
        return (resolved.Interpreter is { } i ? InRoot(i) : null, resolved.Paths.Select(InRoot).ToArray());
    }

    /// <summary>
    /// Plan for a process stopped right after exec: its new executable and the libraries the loader is about to
    /// map, resolved with the process's own environment (so <c>env LD_PRELOAD=... prog</c> is seen as prog is).
    /// </summary>
    public static ProbePlan ForExec(int pid, bool precise)
    {
        string root = $"/proc/{pid}/root";
        string exe;
        string? cwd;
        Dictionary<string, string> env;
        try
        {
            exe = new FileInfo($"/proc/{pid}/exe").LinkTarget
                ?? throw new TargetGoneException(pid, $"process {pid} has no executable");
            cwd = new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget;
            env = ReadEnvironment(pid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TargetGoneException(pid, $"process {pid} exited");
        }
        return ForCommand(exe, env, precise, root, cwd);
    }

    /// <summary>The process's environment as it was given to exec.</summary>
    public static Dictionary<string, string> ReadEnvironment(int pid)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = entry.IndexOf('=');
            if (eq > 0)
                env[entry[..eq]] = entry[(eq + 1)..];
        }
        return env;
    }

    /// <summary>This process's environment, for planning a command it is about to start.</summary>
    public static Dictionary<string, string> CurrentEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            env[(string)e.Key] = (string?)e.Value ?? "";
        return env;
    }

    /// <summary>What one file contributes to a plan; sites name the file by <see cref="ProbePlanner"/>'s open path.</summary>
    private sealed record FilePlan(IReadOnlyList<UprobeSite> Sites, string? Allocator, IReadOnlyList<string> Problems, string OpenPath);

    private static readonly FilePlanCache<FilePlan> s_files = new(capacity: 128);

    public static ProbePlan ForFiles(IEnumerable<(string Path, string AttachPath)> files, bool precise)
    {
        var sites = new List<UprobeSite>();
        var names = new List<string>();
        var searched = new List<string>();
        var problems = new List<string>();
        foreach (var (path, attachPath) in files)
        {
            searched.Add(path);
            var file = s_files.GetOrAdd(path, attachPath, precise, () => PlanFile(path, attachPath, precise));
            if (file is null)
                continue;
            // A cached plan was made through another process's root: the kernel opens this process's file.
            sites.AddRange(file.OpenPath == attachPath ? file.Sites : file.Sites.Select(s => s with { Path = attachPath }));
            if (file.Allocator is not null)
                names.Add(file.Allocator);
            problems.AddRange(file.Problems);
        }
        return new ProbePlan(sites, names, searched, problems);
    }

    /// <summary>One file's part of a plan; null when it cannot be read (not cached: it may be readable later).</summary>
    private static FilePlan? PlanFile(string path, string attachPath, bool precise)
    {
        ElfFile elf;
        try
        {
            elf = ElfFile.Open(attachPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ElfFormatException)
        {
            return null;
        }
        var problems = new List<string>();
        using (elf)
        {
            try
            {
                if (GoProbes.Identify(elf, path, out string? notGo) is { } goBinary)
                {
                    var go = GoProbes.Sites(elf, path, attachPath, goBinary, problems);
                    return new FilePlan(go, $"go ({path}, {goBinary.Version} from {goBinary.VersionSource}: {string.Join(" ", go.Select(s => s.Symbol).Distinct())})", problems, attachPath);
                }
                if (notGo is not null)
                    return new FilePlan([], null, [notGo], attachPath);
                if (!precise || AllocatorCatalog.Classify(path, elf) is not { } id)
                    return new FilePlan([], null, [], attachPath);
                var found = AllocatorCatalog.Sites(elf, attachPath, id);
                if (found.Count == 0)
                    return new FilePlan([], null, [], attachPath);
                return new FilePlan(found, $"{Core.Allocators.Name(id)} ({path}: {string.Join(" ", found.Select(s => s.Symbol))})", [], attachPath);
            }
            catch (UnprobeableBinaryException e)
            {
                problems.Add(e.Message);
            }
            catch (ElfFormatException e)
            {
                problems.Add($"{path}: {e.Message}");
            }
        }
        return new FilePlan([], null, problems, attachPath);
    }
}
