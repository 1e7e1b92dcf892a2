using System.Buffers.Binary;
using System.Text;

namespace Tracer.Elf.Go;

/// <summary>
/// The Go toolchain version and module information the Go linker embeds in every binary
/// (<c>.go.buildinfo</c>), which survives <c>-ldflags='-s -w'</c>.
/// </summary>
public sealed class GoBuildInfo
{
    private const int HeaderSize = 32;
    private const int SearchAlignment = 16;
    private const int ScanChunk = 1 << 20;
    private const int MaxInlineBlob = 4 << 20;
    private const byte FlagBigEndian = 1;
    private const byte FlagInlineStrings = 2;
    private static readonly byte[] s_magic = [0xff, .. " Go buildinf:"u8];

    private GoBuildInfo(string goVersion, string moduleInfo, GoBuildInfoFormat format, ulong address)
    {
        GoVersion = goVersion;
        ModuleInfo = moduleInfo;
        Format = format;
        Address = address;
        var settings = new List<KeyValuePair<string, string>>();
        foreach (var line in moduleInfo.Split('\n'))
        {
            var fields = line.Split('\t');
            switch (fields[0])
            {
                case "path" when fields.Length >= 2:
                    MainPackagePath = fields[1];
                    break;
                case "mod" when fields.Length >= 2:
                    ModulePath = fields[1];
                    ModuleVersion = fields.Length >= 3 ? fields[2] : null;
                    break;
                case "build" when fields.Length >= 2:
                    int eq = fields[1].IndexOf('=');
                    if (eq > 0)
                        settings.Add(new(fields[1][..eq], fields[1][(eq + 1)..]));
                    break;
            }
        }
        Settings = settings;
    }

    /// <summary>The toolchain version, e.g. <c>go1.19.8</c>.</summary>
    public string GoVersion { get; }

    /// <summary>The main package's import path (<c>path</c> line), or null when the binary carries no module info.</summary>
    public string? MainPackagePath { get; }

    /// <summary>The main module's path (<c>mod</c> line), e.g. <c>example.com/app</c>.</summary>
    public string? ModulePath { get; }

    /// <summary>The main module's version (<c>(devel)</c> for local builds).</summary>
    public string? ModuleVersion { get; }

    /// <summary>The <c>build</c> settings (<c>-ldflags</c>, <c>GOARCH</c>, <c>CGO_ENABLED</c>, ...), in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Settings { get; }

    /// <summary>The module info text with its sentinels removed (what <c>go version -m</c> prints, tab-separated).</summary>
    public string ModuleInfo { get; }

    /// <summary>Which blob layout the binary uses.</summary>
    public GoBuildInfoFormat Format { get; }

    /// <summary>Virtual address of the blob's header.</summary>
    public ulong Address { get; }

    /// <summary>
    /// Reads the build info from the <c>.go.buildinfo</c> section or, when section headers are
    /// missing, from a 16-byte-aligned search of the writable PT_LOAD segments. Returns null when
    /// the file is not a Go binary.
    /// </summary>
    /// <exception cref="GoFormatException">The blob is present but truncated or points outside the file.</exception>
    public static GoBuildInfo? TryRead(ElfFile elf)
    {
        var section = elf.FindSection(".go.buildinfo");
        if (section is not null && section.HasFileData && section.Size >= HeaderSize)
        {
            var data = elf.ReadSectionData(section);
            if (data.Span.StartsWith(s_magic))
                return Parse(elf, data.Span, section.Address);
        }
        return Search(elf);
    }

    private static GoBuildInfo? Search(ElfFile elf)
    {
        foreach (var seg in elf.LoadSegments.Where(s => (s.Flags & ElfSegmentFlags.Write) != 0))
        {
            // Chunks start at 16-aligned vaddrs and overlap by a header so a blob is never split.
            ulong firstAligned = (seg.VirtualAddress + SearchAlignment - 1) & ~(ulong)(SearchAlignment - 1);
            for (ulong v = firstAligned; v - seg.VirtualAddress + HeaderSize <= seg.FileSize; v += ScanChunk)
            {
                ulong left = seg.FileSize - (v - seg.VirtualAddress);
                int length = (int)Math.Min(left, ScanChunk + HeaderSize);
                var chunk = elf.ReadBytes(v, length).Span;
                for (int pos = 0; pos + HeaderSize <= chunk.Length && pos < ScanChunk; pos += SearchAlignment)
                {
                    if (!chunk[pos..].StartsWith(s_magic))
                        continue;
                    ulong header = v + (ulong)pos;
                    ulong available = seg.FileSize - (header - seg.VirtualAddress);
                    var blob = elf.ReadBytes(header, (int)Math.Min(available, MaxInlineBlob));
                    return Parse(elf, blob.Span, header);
                }
            }
        }
        return null;
    }

    private static GoBuildInfo Parse(ElfFile elf, ReadOnlySpan<byte> blob, ulong address)
    {
        if (blob.Length < HeaderSize)
            throw new GoFormatException($"{elf.Name}: .go.buildinfo at 0x{address:x} is shorter than its {HeaderSize}-byte header");
        int ptrSize = blob[14];
        byte flags = blob[15];
        if ((flags & FlagBigEndian) != 0)
            throw new GoFormatException($"{elf.Name}: .go.buildinfo at 0x{address:x} is big-endian");

        if ((flags & FlagInlineStrings) != 0)
        {
            int pos = HeaderSize;
            var version = ReadVarintBytes(elf, blob, ref pos, address);
            var mod = ReadVarintBytes(elf, blob, ref pos, address);
            return new GoBuildInfo(Encoding.UTF8.GetString(version), StripSentinels(mod), GoBuildInfoFormat.InlineStrings, address);
        }

        if (ptrSize is not (4 or 8))
            throw new GoFormatException($"{elf.Name}: .go.buildinfo at 0x{address:x} has pointer size {ptrSize}");
        ulong versionAddr = ReadPointer(blob[16..], ptrSize);
        ulong modAddr = ReadPointer(blob[(16 + ptrSize)..], ptrSize);
        var goVersion = ReadGoString(elf, versionAddr, ptrSize);
        var modInfo = modAddr == 0 ? ReadOnlySpan<byte>.Empty : ReadGoString(elf, modAddr, ptrSize);
        return new GoBuildInfo(Encoding.UTF8.GetString(goVersion), StripSentinels(modInfo), GoBuildInfoFormat.Pointers, address);
    }

    private static ulong ReadPointer(ReadOnlySpan<byte> bytes, int ptrSize) =>
        ptrSize == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);

    /// <summary>A Go string value is a (data pointer, length) pair; both must land in file-backed data.</summary>
    private static ReadOnlySpan<byte> ReadGoString(ElfFile elf, ulong headerAddress, int ptrSize)
    {
        try
        {
            var header = elf.ReadBytes(headerAddress, 2 * ptrSize).Span;
            ulong data = ReadPointer(header, ptrSize);
            ulong length = ReadPointer(header[ptrSize..], ptrSize);
            if (length == 0)
                return [];
            if (length > MaxInlineBlob)
                throw new GoFormatException($"{elf.Name}: Go string at 0x{headerAddress:x} claims 0x{length:x} bytes");
            return elf.ReadBytes(data, (int)length).Span;
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new GoFormatException($"{elf.Name}: .go.buildinfo string header at 0x{headerAddress:x} points outside the file: {e.Message}");
        }
    }

    private static ReadOnlySpan<byte> ReadVarintBytes(ElfFile elf, ReadOnlySpan<byte> blob, ref int pos, ulong address)
    {
        ulong length = 0;
        int shift = 0;
        while (true)
        {
            if (pos >= blob.Length || shift > 63)
                throw new GoFormatException($"{elf.Name}: .go.buildinfo at 0x{address:x} has a truncated string length");
            byte b = blob[pos++];
            length |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
                break;
            shift += 7;
        }
        if (length > (ulong)(blob.Length - pos))
            throw new GoFormatException($"{elf.Name}: .go.buildinfo at 0x{address:x} has a {length}-byte string but only {blob.Length - pos} bytes follow");
        var s = blob.Slice(pos, (int)length);
        pos += (int)length;
        return s;
    }

    /// <summary>The linker brackets module info with 16-byte binary sentinels; Go's own reader drops anything not so framed.</summary>
    private static string StripSentinels(ReadOnlySpan<byte> mod) =>
        mod.Length >= 33 && mod[^17] == (byte)'\n' ? Encoding.UTF8.GetString(mod[16..^16]) : "";
}
