using System.Globalization;
using System.Text;

namespace Tracer.DotNet;

/// <summary>Where a process's diagnostics socket is, or why it cannot be used.</summary>
/// <param name="SocketPath">the socket, reachable from this mount namespace; null when not found</param>
/// <param name="Problem">why no socket can be used, one clause naming what was looked for</param>
public sealed record DiagnosticEndpoint(string? SocketPath, string? Problem);

/// <summary>
/// Recognises .NET processes and finds their diagnostics IPC socket, from /proc alone. A process runs .NET when
/// its maps hold <c>libcoreclr.so</c> (the shared <c>dotnet</c> host, an apphost, a framework-dependent or
/// self-contained app alike). The runtime listens on <c>dotnet-diagnostic-PID-KEY-socket</c> in its own
/// <c>TMPDIR</c> (default <c>/tmp</c>), named with its pid in its own pid namespace and a key that is its start
/// time; the directory is reached through <c>/proc/PID/root</c>, so a process in a container is found as well.
/// </summary>
public static class DotnetProcess
{
    public const string RuntimeLibrary = "libcoreclr.so";

    /// <summary>True when the process maps the .NET runtime; false when it does not or is gone.</summary>
    public static bool MapsRuntime(int pid) => MapsLibrary(pid, RuntimeLibrary);

    private static bool MapsLibrary(int pid, string name)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/maps"))
                if (line.EndsWith(name, StringComparison.Ordinal) && line[line.Length - name.Length - 1] == '/')
                    return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return false;
    }

    private static readonly Dictionary<(string Path, long Size, DateTime Written), bool> s_hosts = new();

    /// <summary>
    /// True when the process's executable is a .NET host: the shared <c>dotnet</c>, an apphost or a single-file
    /// bundle, all of which load the runtime through <c>libhostfxr.so</c> and name it (in their first megabytes).
    /// Known at exec, before the runtime is loaded; results are kept per file.
    /// </summary>
    public static bool IsHostExecutable(int pid)
    {
        try
        {
            var exe = new FileInfo($"/proc/{pid}/exe");
            string? path = exe.LinkTarget;
            if (path is null)
                return false;
            var file = new FileInfo($"/proc/{pid}/root{path}");
            var key = (path, file.Length, file.LastWriteTimeUtc);
            lock (s_hosts)
                if (s_hosts.TryGetValue(key, out bool known))
                    return known;
            bool host = Path.GetFileName(path) == "dotnet" || Contains(file.FullName, "libhostfxr.so"u8, 4 << 20);
            lock (s_hosts)
                s_hosts[key] = host;
            return host;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool Contains(string path, ReadOnlySpan<byte> needle, int limit)
    {
        using var f = File.OpenRead(path);
        var buffer = new byte[Math.Min(limit, 1 << 20) + needle.Length];
        int carried = 0;
        long read = 0;
        while (read < limit)
        {
            int n = f.Read(buffer, carried, buffer.Length - carried);
            if (n <= 0)
                return false;
            read += n;
            var window = buffer.AsSpan(0, carried + n);
            if (window.IndexOf(needle) >= 0)
                return true;
            carried = Math.Min(needle.Length - 1, window.Length);
            window[^carried..].CopyTo(buffer);
        }
        return false;
    }

    /// <summary>The diagnostics socket of a process that maps the runtime.</summary>
    public static DiagnosticEndpoint FindEndpoint(int pid)
    {
        var env = Environment(pid);
        string tmp = env.TryGetValue("TMPDIR", out var t) && t.Length > 0 ? t : "/tmp";
        int nsPid = NamespacePid(pid) ?? pid;
        string pattern = $"dotnet-diagnostic-{nsPid}-*-socket";
        string where = Path.Combine(tmp, pattern);
        if (Disabled(env) is { } variable)
            return new(null, $"{variable}=0 is set in its environment, so the runtime opens no diagnostics socket ({where})");

        string dir = RootPrefix(pid) + tmp;
        string[] candidates;
        try
        {
            candidates = Directory.GetFiles(dir, pattern);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new(null, $"its TMPDIR {tmp} cannot be read ({e.Message}) to find {pattern}");
        }
        if (candidates.Length == 0)
            return new(null, $"no diagnostics socket {where} was found");
        // A socket left by an earlier process with the same pid has another key; the key is the start time.
        string? key = StartTime(pid);
        string? exact = key is null ? null : candidates.FirstOrDefault(c => Path.GetFileName(c) == $"dotnet-diagnostic-{nsPid}-{key}-socket");
        return new(exact ?? candidates.OrderByDescending(File.GetLastWriteTimeUtc).First(), null);
    }

    /// <summary>The process's environment at exec (<c>/proc/PID/environ</c>); empty when it cannot be read.</summary>
    public static Dictionary<string, string> Environment(int pid)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        byte[] raw;
        try
        {
            raw = File.ReadAllBytes($"/proc/{pid}/environ");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return result;
        }
        foreach (var entry in Encoding.UTF8.GetString(raw).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = entry.IndexOf('=');
            if (eq > 0)
                result.TryAdd(entry[..eq], entry[(eq + 1)..]);
        }
        return result;
    }

    /// <summary>The variable that turns the diagnostics server off, when it does.</summary>
    public static string? Disabled(IReadOnlyDictionary<string, string> env)
    {
        foreach (var name in (ReadOnlySpan<string>)["DOTNET_EnableDiagnostics", "COMPlus_EnableDiagnostics", "DOTNET_EnableDiagnostics_IPC"])
            if (env.TryGetValue(name, out var v) && v.Trim() == "0")
                return name;
        return null;
    }

    /// <summary>The innermost pid of the process (its pid inside its own pid namespace), from NSpid.</summary>
    public static int? NamespacePid(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("NSpid:", StringComparison.Ordinal))
                    continue;
                var last = line[6..].Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
                return int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out int ns) ? ns : null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>Field 22 of /proc/PID/stat (start time in clock ticks since boot): the runtime's socket key.</summary>
    public static string? StartTime(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may contain spaces; fields after it are plain.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return rest.Length > 19 ? rest[19] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>
    /// The path prefix leading into the process's files: empty when it shares our mount namespace (shorter socket
    /// paths: a socket address holds at most 107 bytes), else <c>/proc/PID/root</c> (a container, a private /tmp).
    /// </summary>
    private static string RootPrefix(int pid)
    {
        try
        {
            string? theirs = new FileInfo($"/proc/{pid}/ns/mnt").LinkTarget, ours = new FileInfo("/proc/self/ns/mnt").LinkTarget;
            bool sameRoot = new FileInfo($"/proc/{pid}/root").LinkTarget == "/";
            return theirs is not null && theirs == ours && sameRoot ? "" : $"/proc/{pid}/root";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"/proc/{pid}/root";
        }
    }

    /// <summary>The process's command name (kernel comm), as bytes for the series tags.</summary>
    public static byte[] Comm(int pid)
    {
        try
        {
            return Encoding.UTF8.GetBytes(File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n'));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?"u8.ToArray();
        }
    }
}
