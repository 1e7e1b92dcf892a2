namespace Tracer.Probes;

/// <summary>
/// What planning found in one file (its probe sites, the allocator line, its problems, or nothing), kept by the
/// file's identity: device, inode, size and modification time. Processes of one program start by the thousand and
/// map the same few files; reading each file's symbols once, not once per process, keeps the work (and the garbage
/// it leaves) per start small. Bounded: the least recently used file goes first.
/// </summary>
internal sealed class FilePlanCache<T>(int capacity) where T : class
{
    private readonly record struct Key(ulong Device, ulong Inode, long Size, long MtimeTicks, string Path, bool Precise);

    private sealed class Entry(T value)
    {
        public readonly T Value = value;
        public long LastUse;
    }

    private readonly Dictionary<Key, Entry> _entries = new();
    private long _clock;

    public int Count
    {
        get { lock (_entries) return _entries.Count; }
    }

    /// <summary>The cached result for the file at <paramref name="openPath"/>, or a new one from <paramref name="plan"/>.</summary>
    /// <param name="path">the path as the process names it (results mention it)</param>
    /// <param name="openPath">where this collector reads it (through /proc/PID/root)</param>
    public T? GetOrAdd(string path, string openPath, bool precise, Func<T?> plan)
    {
        Key key;
        try
        {
            var (inode, device) = Tracer.Native.KernelSupport.FileIdentity(openPath);
            var info = new FileInfo(openPath);
            key = new Key(device, inode, info.Length, info.LastWriteTimeUtc.Ticks, path, precise);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return plan();
        }
        lock (_entries)
        {
            if (_entries.TryGetValue(key, out var hit))
            {
                hit.LastUse = ++_clock;
                return hit.Value;
            }
        }
        var value = plan();
        if (value is null)
            return null;
        lock (_entries)
        {
            if (_entries.Count >= capacity)
            {
                var oldest = _entries.MinBy(e => e.Value.LastUse).Key;
                _entries.Remove(oldest);
            }
            _entries[key] = new Entry(value) { LastUse = ++_clock };
        }
        return value;
    }
}
