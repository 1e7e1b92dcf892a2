using Tracer.Elf;
using Tracer.Elf.Go;

namespace Tracer.Probes;

/// <summary>
/// Turns user-space addresses of a process into <c>function+0xoffset</c>: through the process's memory map to a
/// file and file offset, then through that file's function symbols (or, for a stripped Go binary, its pclntab).
/// Files are read once and kept by path; a process's map is read again when an address falls outside it.
/// A process that lives for milliseconds may be gone before its samples are read: its map is then the one
/// <see cref="Remember"/> read while it was known to be alive (held at exec or fork), and its files are read from
/// the collector's own root when the inode there is still the one the process had mapped.
/// </summary>
public sealed class StackSymbolizer
{
    private sealed record FileFunctions(ulong[] Starts, ElfSymbol[] Symbols, GoPclntab? Pclntab, Func<ulong, ulong?> ToVaddr);

    private readonly Dictionary<int, IReadOnlyList<MapEntry>> _maps = new();
    private readonly Dictionary<string, FileFunctions?> _files = new(StringComparer.Ordinal);
    private const int MaxCachedFiles = 256;

    /// <summary>Frames from the innermost out; unknown addresses are kept as <c>[file+0xoffset]</c> or hex.</summary>
    public IReadOnlyList<string> Symbolize(int pid, ReadOnlySpan<ulong> addresses)
    {
        var frames = new List<string>(addresses.Length);
        foreach (ulong a in addresses)
        {
            if (a == 0)
                break;
            frames.Add(Symbolize(pid, a));
        }
        return frames;
    }

    /// <summary>Forgets a process's map (it exited, or executed a new image).</summary>
    public void Forget(int pid) => _maps.Remove(pid);

    /// <summary>
    /// Reads a process's map now, while it is known to be alive (stopped at exec, say: its executable is mapped
    /// then), replacing what was kept; a process already gone keeps nothing.
    /// </summary>
    public void Remember(int pid)
    {
        _maps.Remove(pid);
        if (TryReadMaps(pid) is { } maps)
            Keep(pid, maps);
    }

    private string Symbolize(int pid, ulong address)
    {
        var entry = FindMapping(pid, address, reread: false) ?? FindMapping(pid, address, reread: true);
        if (entry is not { } m || !m.IsFile)
            return $"0x{address:x}";
        ulong fileOffset = address - m.Start + m.Offset;
        var functions = Functions(pid, m);
        if (functions?.ToVaddr(fileOffset) is { } vaddr)
        {
            int i = Array.BinarySearch(functions.Starts, vaddr);
            if (i < 0)
                i = ~i - 1;
            if (i >= 0 && vaddr - functions.Symbols[i].Value < Math.Max(functions.Symbols[i].Size, 1))
                return $"{functions.Symbols[i].Name}+0x{vaddr - functions.Symbols[i].Value:x}";
            if (functions.Pclntab?.FindFunctionContaining(vaddr) is { } go)
                return $"{go.Name}+0x{vaddr - go.Entry:x}";
        }
        return $"[{Path.GetFileName(m.Path)}+0x{fileOffset:x}]";
    }

    private MapEntry? FindMapping(int pid, ulong address, bool reread)
    {
        if (reread || !_maps.TryGetValue(pid, out var maps))
        {
            // A process that is gone keeps the map it had (a reread then finds nothing new).
            if (TryReadMaps(pid) is not { } read)
                return null;
            maps = read;
            Keep(pid, maps);
        }
        foreach (var m in maps)
            if (address >= m.Start && address < m.End)
                return m;
        return null;
    }

    private static IReadOnlyList<MapEntry>? TryReadMaps(int pid)
    {
        try
        {
            var maps = ProcMaps.Read(pid);
            // The map of a process that has exited (a zombie not yet reaped) is empty: nothing to keep.
            return maps.Count == 0 ? null : maps;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void Keep(int pid, IReadOnlyList<MapEntry> maps)
    {
        // Maps of processes long gone are not kept without bound: start afresh at the limit.
        if (_maps.Count >= MaxCachedFiles * 4)
            _maps.Clear();
        _maps[pid] = maps;
    }

    /// <summary>
    /// The mapped file through the process's own root (its mount namespace); once the process is gone, the same
    /// path in the collector's root if it is still the file that was mapped (same inode).
    /// </summary>
    private static string? OpenablePath(int pid, MapEntry m)
    {
        string own = $"/proc/{pid}/root{m.Path}";
        if (File.Exists(own))
            return own;
        try
        {
            return Tracer.Native.KernelSupport.FileIdentity(m.Path).Inode == m.Inode ? m.Path : null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private FileFunctions? Functions(int pid, MapEntry m)
    {
        string path = m.Path;
        if (_files.TryGetValue(path, out var cached))
            return cached;
        if (OpenablePath(pid, m) is not { } openable)
            return null;
        FileFunctions? result = null;
        try
        {
            using var elf = ElfFile.Open(openable);
            var symbols = elf.Symbols.Functions.Where(s => s.IsDefined && s.Value != 0)
                .GroupBy(s => s.Value).Select(g => g.First()).OrderBy(s => s.Value).ToArray();
            GoPclntab? pclntab = null;
            if (symbols.Length == 0)
                GoPclntab.TryLoad(elf, out pclntab, out _);
            // The translation needs the file's segments only, so keep a copy of them rather than the open file.
            var segments = elf.LoadSegments.Select(p => (p.Offset, p.VirtualAddress, p.FileSize)).ToArray();
            ulong? ToVaddr(ulong offset)
            {
                foreach (var (fileOffset, vaddr, size) in segments)
                    if (offset >= fileOffset && offset < fileOffset + size)
                        return offset - fileOffset + vaddr;
                return null;
            }
            result = new FileFunctions(symbols.Select(s => s.Value).ToArray(), symbols, pclntab, ToVaddr);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        // Symbols of files no longer mapped are not worth keeping without bound: start afresh at the limit.
        if (_files.Count >= MaxCachedFiles)
            _files.Clear();
        _files[path] = result;
        return result;
    }
}
