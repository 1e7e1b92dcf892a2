using Tracer.Elf;
using Tracer.Elf.Go;
using Tracer.Native.Interop;

namespace Tracer.Probes;

/// <summary>
/// Turns the frames of a user stack into <c>function+0xoffset</c>. A frame the kernel gave as a build-id and file
/// offset is named through the file with that build-id, which needs nothing of the process: a process that lived
/// for milliseconds is symbolized after it has exited. A frame given as an address goes through the process's
/// memory map to a file and offset; that map is the one read last (at the exec or fork hold, see
/// <see cref="Remember"/>), read again when an address falls outside it while the process lives. Either way the
/// file's function symbols (or, for a stripped Go binary, its pclntab) name the frame.
/// </summary>
public sealed class StackSymbolizer
{
    private sealed record FileFunctions(ulong[] Starts, ElfSymbol[] Symbols, GoPclntab? Pclntab, Func<ulong, ulong?> ToVaddr);

    /// <summary>A file found by its build-id: its name as the process mapped it, and its functions once read.</summary>
    private sealed class BuildIdFile(string name, string openPath)
    {
        public string Name { get; } = name;
        public string OpenPath { get; } = openPath;
        public bool Loaded { get; set; }
        public FileFunctions? Functions { get; set; }
    }

    /// <summary>What was known of a process when it was held: where to look for the files it will map.</summary>
    private sealed record Launch(string Root, string Executable, string? WorkingDirectory, IReadOnlyDictionary<string, string> Environment);

    private const int MaxCachedFiles = 256;

    private readonly Dictionary<int, IReadOnlyList<MapEntry>> _maps = new();
    private readonly Dictionary<int, Launch> _launches = new();
    private readonly HashSet<int> _indexed = new();
    private readonly Dictionary<string, FileFunctions?> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BuildIdFile> _byBuildId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _examined = new(StringComparer.Ordinal);
    private bool _ownFilesIndexed;

    /// <summary>Frames from the innermost out, up to the first empty one; unknown ones are kept as <c>[file+0xoffset]</c> or hex.</summary>
    public IReadOnlyList<string> Symbolize(int pid, ReadOnlySpan<StackBuildIdFrame> stack)
    {
        var frames = new List<string>(stack.Length);
        foreach (ref readonly var f in stack)
        {
            if (f.Status == StackBuildIdFrame.StatusValid)
                frames.Add(SymbolizeInFile(pid, BuildIdHex(f), f.OffsetOrIp));
            else if (f.Status == StackBuildIdFrame.StatusIp && f.OffsetOrIp != 0)
                frames.Add(Symbolize(pid, f.OffsetOrIp));
            else
                break;
        }
        return frames;
    }

    /// <summary>Frames given as addresses, from the innermost out, up to the first zero.</summary>
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

    /// <summary>Forgets what is kept of a process (it exited, or executed a new image).</summary>
    public void Forget(int pid)
    {
        _maps.Remove(pid);
        _launches.Remove(pid);
        _indexed.Remove(pid);
    }

    /// <summary>
    /// Reads what is needed of a process now, while it is known to be alive (stopped at exec or fork): its memory
    /// map (its executable is mapped then), and its executable and environment, from which the libraries it is
    /// about to map are found should one of its frames name a build-id not seen yet. A process already gone keeps
    /// nothing.
    /// </summary>
    public void Remember(int pid)
    {
        Forget(pid);
        if (TryReadMaps(pid) is { } maps)
            Keep(pid, maps);
        try
        {
            string root = $"/proc/{pid}/root";
            if (new FileInfo($"/proc/{pid}/exe").LinkTarget is { } exe)
                _launches[pid] = new Launch(root, exe, new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget, ProbePlanner.ReadEnvironment(pid));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static string BuildIdHex(in StackBuildIdFrame f) => Convert.ToHexStringLower(f.BuildId);

    /// <summary>A build-id as the kernel writes it in a frame: its bytes, zero-padded to the frame's 20.</summary>
    private static string FrameKey(string buildIdHex) => buildIdHex.PadRight(StackBuildIdFrame.BuildIdSize * 2, '0');

    private string SymbolizeInFile(int pid, string buildId, ulong fileOffset)
    {
        if (!_byBuildId.TryGetValue(buildId, out var file))
        {
            IndexFilesOf(pid);
            if (!_byBuildId.TryGetValue(buildId, out file))
                return $"[build-id {buildId[..16]}+0x{fileOffset:x}]";
        }
        if (!file.Loaded)
        {
            file.Functions = LoadFunctions(file.OpenPath);
            file.Loaded = true;
        }
        return Name(file.Functions, fileOffset) ?? $"[{file.Name}+0x{fileOffset:x}]";
    }

    /// <summary>
    /// Learns the build-ids of every file a process may have mapped: those in its last map read, the libraries
    /// its executable needs (resolved the way the loader does, with its own environment), and the collector's own
    /// (the same system libraries, most often). Each file is read once; a build-id found proves the file.
    /// </summary>
    private void IndexFilesOf(int pid)
    {
        if (!_indexed.Add(pid))
            return;
        if (!_maps.ContainsKey(pid) && TryReadMaps(pid) is { } live)
            Keep(pid, live);
        if (_maps.TryGetValue(pid, out var maps))
            foreach (var m in maps)
                if (m.IsFile && OpenablePath(pid, m) is { } open)
                    Examine(Path.GetFileName(m.Path), open);
        if (_launches.TryGetValue(pid, out var launch))
        {
            // Once the process is gone its root is too: the collector's own root is then the best guess, and a
            // build-id that does not match proves the guess wrong.
            string root = Directory.Exists(launch.Root) ? launch.Root : "";
            try
            {
                var (interpreter, libraries) = ProbePlanner.LoaderFiles(launch.Executable, launch.Environment, root, launch.WorkingDirectory);
                foreach (var p in (string?[])[launch.Executable, interpreter, .. libraries])
                    if (p is not null)
                        Examine(Path.GetFileName(p), root + p);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
            }
        }
        if (!_ownFilesIndexed)
        {
            _ownFilesIndexed = true;
            if (TryReadMaps(Environment.ProcessId) is { } own)
                foreach (var m in own)
                    if (m.IsFile)
                        Examine(Path.GetFileName(m.Path), m.Path);
        }
    }

    private void Examine(string name, string openPath)
    {
        if (_examined.ContainsKey(openPath))
            return;
        string? id = null;
        try
        {
            using var elf = ElfFile.Open(openPath);
            id = elf.BuildId;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        if (_examined.Count >= MaxCachedFiles * 4)
            _examined.Clear();
        _examined[openPath] = id;
        if (id is null)
            return;
        string key = FrameKey(id);
        if (_byBuildId.ContainsKey(key))
            return;
        if (_byBuildId.Count >= MaxCachedFiles)
            _byBuildId.Clear();
        _byBuildId[key] = new BuildIdFile(name, openPath);
    }

    private string Symbolize(int pid, ulong address)
    {
        var entry = FindMapping(pid, address, reread: false) ?? FindMapping(pid, address, reread: true);
        if (entry is not { } m || !m.IsFile)
            return $"0x{address:x}";
        ulong fileOffset = address - m.Start + m.Offset;
        return Name(Functions(pid, m), fileOffset) ?? $"[{Path.GetFileName(m.Path)}+0x{fileOffset:x}]";
    }

    private static string? Name(FileFunctions? functions, ulong fileOffset)
    {
        if (functions?.ToVaddr(fileOffset) is not { } vaddr)
            return null;
        int i = Array.BinarySearch(functions.Starts, vaddr);
        if (i < 0)
            i = ~i - 1;
        if (i >= 0 && vaddr - functions.Symbols[i].Value < Math.Max(functions.Symbols[i].Size, 1))
            return $"{functions.Symbols[i].Name}+0x{vaddr - functions.Symbols[i].Value:x}";
        if (functions.Pclntab?.FindFunctionContaining(vaddr) is { } go)
            return $"{go.Name}+0x{vaddr - go.Entry:x}";
        return null;
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
        if (_files.TryGetValue(m.Path, out var cached))
            return cached;
        if (OpenablePath(pid, m) is not { } openable)
            return null;
        var result = LoadFunctions(openable);
        // Symbols of files no longer mapped are not worth keeping without bound: start afresh at the limit.
        if (_files.Count >= MaxCachedFiles)
            _files.Clear();
        _files[m.Path] = result;
        return result;
    }

    private static FileFunctions? LoadFunctions(string openable)
    {
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
            return new FileFunctions(symbols.Select(s => s.Value).ToArray(), symbols, pclntab, ToVaddr);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
