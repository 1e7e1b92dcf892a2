using System.Globalization;

namespace Tracer.Probes;

/// <summary>One line of /proc/PID/maps.</summary>
public readonly record struct MapEntry(ulong Start, ulong End, string Perms, ulong Offset, ulong Inode, string Path)
{
    public bool IsExecutable => Perms.Length > 2 && Perms[2] == 'x';

    public bool IsFile => Inode != 0 && Path.StartsWith('/');
}

/// <summary>Reads a process's memory map: which files it has mapped, hence which allocators it can call.</summary>
public static class ProcMaps
{
    public static IReadOnlyList<MapEntry> Read(int pid) => Parse(File.ReadAllLines($"/proc/{pid}/maps"));

    public static IReadOnlyList<MapEntry> Parse(IEnumerable<string> lines)
    {
        var result = new List<MapEntry>();
        foreach (var line in lines)
        {
            // start-end perms offset dev inode [path]; the path may contain spaces.
            var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 5)
                continue;
            int dash = parts[0].IndexOf('-');
            if (dash < 0)
                continue;
            result.Add(new MapEntry(
                ulong.Parse(parts[0].AsSpan(0, dash), NumberStyles.HexNumber),
                ulong.Parse(parts[0].AsSpan(dash + 1), NumberStyles.HexNumber),
                parts[1],
                ulong.Parse(parts[2], NumberStyles.HexNumber),
                ulong.Parse(parts[4], CultureInfo.InvariantCulture),
                parts.Length > 5 ? parts[5].Trim() : ""));
        }
        return result;
    }

    /// <summary>Distinct files mapped executable, in map order (the executable itself first).</summary>
    public static IReadOnlyList<string> ExecutableFiles(IEnumerable<MapEntry> maps)
    {
        var seen = new HashSet<string>();
        var files = new List<string>();
        foreach (var m in maps)
            if (m.IsExecutable && m.IsFile && !m.Path.EndsWith(" (deleted)", StringComparison.Ordinal) && seen.Add(m.Path))
                files.Add(m.Path);
        return files;
    }
}
