using System.Buffers.Binary;
using System.Text;

namespace Tracer.Elf.Loader;

/// <summary>
/// Reader for the <c>glibc-ld.so.cache1.1</c> format written by ldconfig (alone, or after the
/// legacy <c>ld.so-1.7.0</c> table that older glibc versions prepended).
/// </summary>
public sealed class LdSoCache
{
    /// <summary>Where ld.so reads the cache.</summary>
    public const string DefaultPath = "/etc/ld.so.cache";

    /// <summary>FLAG_ELF_LIBC6 | FLAG_X8664_LIB64.</summary>
    public const int FlagsX86_64 = 0x0303;

    private const int NewHeaderSize = 48;
    private const int NewEntrySize = 24;
    private const int OldHeaderSize = 16;
    private const int OldEntrySize = 12;
    private const byte EndianBig = 3;
    private static readonly byte[] s_newMagic = "glibc-ld.so.cache1.1"u8.ToArray();
    private static readonly byte[] s_oldMagic = "ld.so-1.7.0"u8.ToArray();

    private readonly Dictionary<string, string> _x86_64 = new(StringComparer.Ordinal);

    private LdSoCache(IReadOnlyList<LdSoCacheEntry> entries)
    {
        Entries = entries;
        foreach (var e in entries)
        {
            if (e.IsX86_64 && e.Hwcap == 0)
                _x86_64.TryAdd(e.Name, e.Path);
        }
    }

    /// <summary>All entries in file order (the order <c>ldconfig -p</c> prints).</summary>
    public IReadOnlyList<LdSoCacheEntry> Entries { get; }

    /// <summary>Reads and parses a cache file.</summary>
    /// <exception cref="LdCacheFormatException">The file is not a supported cache or is corrupt.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static LdSoCache Load(string path = DefaultPath) => Parse(File.ReadAllBytes(path));

    /// <summary>Parses cache bytes.</summary>
    /// <exception cref="LdCacheFormatException">Not a supported cache, or truncated/inconsistent.</exception>
    public static LdSoCache Parse(ReadOnlySpan<byte> data)
    {
        int start = 0;
        if (data.StartsWith(s_oldMagic))
        {
            if (data.Length < OldHeaderSize)
                throw new LdCacheFormatException($"ld.so cache: legacy header truncated ({data.Length} bytes)");
            uint oldCount = BinaryPrimitives.ReadUInt32LittleEndian(data[12..]);
            long afterOld = OldHeaderSize + (long)oldCount * OldEntrySize;
            // The new table starts at the next 8-byte boundary after the legacy entries.
            start = (int)Math.Min((afterOld + 7) & ~7L, data.Length);
            if (!data[start..].StartsWith(s_newMagic))
                throw new LdCacheFormatException("ld.so cache: legacy ld.so-1.7.0 format without a glibc-ld.so.cache1.1 table is not supported");
        }
        else if (!data.StartsWith(s_newMagic))
        {
            throw new LdCacheFormatException("ld.so cache: unknown magic (expected glibc-ld.so.cache1.1)");
        }

        var table = data[start..];
        if (table.Length < NewHeaderSize)
            throw new LdCacheFormatException($"ld.so cache: header truncated ({table.Length} bytes, need {NewHeaderSize})");
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(table[20..]);
        if (table[28] == EndianBig)
            throw new LdCacheFormatException("ld.so cache: big-endian cache not supported");
        if (count > (table.Length - NewHeaderSize) / NewEntrySize)
            throw new LdCacheFormatException($"ld.so cache: {count} entries do not fit in {table.Length} bytes");

        var entries = new LdSoCacheEntry[count];
        for (int i = 0; i < (int)count; i++)
        {
            var e = table.Slice(NewHeaderSize + i * NewEntrySize, NewEntrySize);
            entries[i] = new LdSoCacheEntry(
                ReadString(table, BinaryPrimitives.ReadUInt32LittleEndian(e[4..]), i),
                ReadString(table, BinaryPrimitives.ReadUInt32LittleEndian(e[8..]), i),
                BinaryPrimitives.ReadInt32LittleEndian(e),
                BinaryPrimitives.ReadUInt32LittleEndian(e[12..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[16..]));
        }
        return new LdSoCache(entries);
    }

    /// <summary>
    /// The path ld.so would take from the cache for <paramref name="soname"/> on x86-64: the first
    /// plain entry (no hwcap subdirectory) with the x86-64 flags, or null.
    /// </summary>
    public string? Lookup(string soname) => _x86_64.GetValueOrDefault(soname);

    private static string ReadString(ReadOnlySpan<byte> table, uint offset, int entry)
    {
        if (offset >= table.Length)
            throw new LdCacheFormatException($"ld.so cache: entry {entry} has string offset 0x{offset:x} past the end (0x{table.Length:x})");
        var rest = table[(int)offset..];
        int nul = rest.IndexOf((byte)0);
        if (nul < 0)
            throw new LdCacheFormatException($"ld.so cache: entry {entry} has an unterminated string at 0x{offset:x}");
        return Encoding.UTF8.GetString(rest[..nul]);
    }
}
