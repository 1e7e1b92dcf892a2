namespace Tracer.Elf.Loader;

/// <summary>
/// Symlink-resolving canonical paths, standing in for the device/inode identity ld.so uses to
/// notice one file reached under two names.
/// </summary>
internal static class RealPath
{
    private const int MaxLinks = 40;

    public static string Resolve(string path)
    {
        var pending = new Stack<string>(Split(Path.GetFullPath(path)).Reverse());
        var parts = new List<string>();
        int links = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part is "" or ".")
                continue;
            if (part == "..")
            {
                if (parts.Count > 0)
                    parts.RemoveAt(parts.Count - 1);
                continue;
            }
            string current = "/" + string.Join('/', parts.Append(part));
            string? target = LinkTarget(current);
            if (target is null || ++links > MaxLinks)
            {
                parts.Add(part);
                continue;
            }
            if (target.StartsWith('/'))
                parts.Clear();
            foreach (var p in Split(target).Reverse())
                pending.Push(p);
        }
        return "/" + string.Join('/', parts);
    }

    private static string[] Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
