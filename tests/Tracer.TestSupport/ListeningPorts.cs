using System.Globalization;

namespace Tracer.TestSupport;

/// <summary>
/// The TCP ports a process and its descendants listen on, read from /proc: how a server started on port 0 is asked
/// which port the kernel gave it.
/// </summary>
public static class ListeningPorts
{
    private const string Listen = "0A";

    /// <summary>The ports on which <paramref name="pid"/> or any of its descendants has a listening IPv4 or IPv6 socket.</summary>
    public static IReadOnlySet<int> Of(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in WithDescendants(pid))
        {
            try
            {
                foreach (var fd in Directory.EnumerateFiles($"/proc/{p}/fd"))
                {
                    string? target = TryLinkTarget(fd);
                    if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                        inodes.Add(target["socket:[".Length..^1]);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process exited meanwhile.
            }
        }
        var ports = new HashSet<int>();
        foreach (var table in new[] { $"/proc/{pid}/net/tcp", $"/proc/{pid}/net/tcp6" })
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(table);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            foreach (var line in lines.Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 9 && f[3] == Listen && inodes.Contains(f[9]))
                    ports.Add(int.Parse(f[1][(f[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }
        return ports;
    }

    private static string? TryLinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static List<int> WithDescendants(int pid)
    {
        var parents = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int p))
                continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // After the command's closing parenthesis: state, then the parent's pid.
                int parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                if (!parents.TryGetValue(parent, out var children))
                    parents[parent] = children = [];
                children.Add(p);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        var all = new List<int> { pid };
        for (int i = 0; i < all.Count; i++)
            if (parents.TryGetValue(all[i], out var children))
                all.AddRange(children);
        return all;
    }
}
