using System.Buffers.Binary;

namespace Tracer.Elf;

/// <summary>What the dynamic linker reads from an object's dynamic section.</summary>
/// <param name="Needed">DT_NEEDED entries in order.</param>
/// <param name="Soname">DT_SONAME, or null.</param>
/// <param name="Rpath">DT_RPATH as written (colon-separated, unexpanded), or null.</param>
/// <param name="Runpath">DT_RUNPATH as written, or null.</param>
/// <param name="Flags1">DT_FLAGS_1 (DF_1_NODEFLIB = 0x800 stops the default-directory search).</param>
public sealed record ElfDynamicInfo(IReadOnlyList<string> Needed, string? Soname, string? Rpath, string? Runpath, ulong Flags1)
{
    private const long DtNull = 0;
    private const long DtNeeded = 1;
    private const long DtStrTab = 5;
    private const long DtStrSz = 10;
    private const long DtSoname = 14;
    private const long DtRpath = 15;
    private const long DtRunpath = 29;
    private const long DtFlags1 = 0x6ffffffb;
    private const int EntrySize = 16;

    /// <summary>DF_1_NODEFLIB.</summary>
    public const ulong Flags1NoDefaultLib = 0x800;

    /// <summary>An object without a dynamic section (static executable, relocatable object).</summary>
    public static ElfDynamicInfo Empty { get; } = new([], null, null, null, 0);

    /// <summary>True when the file has a dynamic section at all.</summary>
    public bool IsDynamic { get; init; }

    internal static ElfDynamicInfo Read(ElfFile elf)
    {
        ReadOnlyMemory<byte> data;
        var segment = elf.ProgramHeaders.FirstOrDefault(p => p.Type == ElfSegmentType.Dynamic);
        var section = elf.Sections.FirstOrDefault(s => s.Type == ElfSectionType.Dynamic);
        if (segment is not null)
            data = elf.ReadAt(segment.Offset, ElfFile.CheckedLength(segment.FileSize, "PT_DYNAMIC"), "PT_DYNAMIC segment");
        else if (section is not null)
            data = elf.ReadSectionData(section);
        else
            return Empty;

        var entries = new List<(long Tag, ulong Value)>();
        var span = data.Span;
        for (int pos = 0; pos + EntrySize <= span.Length; pos += EntrySize)
        {
            long tag = BinaryPrimitives.ReadInt64LittleEndian(span[pos..]);
            if (tag == DtNull)
                break;
            entries.Add((tag, BinaryPrimitives.ReadUInt64LittleEndian(span[(pos + 8)..])));
        }

        var strings = ReadStringTable(elf, entries, section);
        string? Str(ulong offset) => ElfStrings.Read(strings.Span, offset, "dynamic string table");

        var needed = new List<string>();
        string? soname = null, rpath = null, runpath = null;
        ulong flags1 = 0;
        foreach (var (tag, value) in entries)
        {
            switch (tag)
            {
                case DtNeeded: needed.Add(Str(value)!); break;
                case DtSoname: soname = Str(value); break;
                case DtRpath: rpath = Str(value); break;
                case DtRunpath: runpath = Str(value); break;
                case DtFlags1: flags1 = value; break;
            }
        }
        return new ElfDynamicInfo(needed, soname, rpath, runpath, flags1) { IsDynamic = true };
    }

    /// <summary>
    /// DT_STRTAB is a virtual address, which is what the loader uses; the section link is only a
    /// fallback for objects whose DT_STRTAB is not file-backed (never in practice, but cheap).
    /// </summary>
    private static ReadOnlyMemory<byte> ReadStringTable(ElfFile elf, List<(long Tag, ulong Value)> entries, ElfSection? dynamicSection)
    {
        ulong? strtab = null, strsz = null;
        foreach (var (tag, value) in entries)
        {
            if (tag == DtStrTab) strtab = value;
            else if (tag == DtStrSz) strsz = value;
        }
        if (strtab is { } vaddr && strsz is { } size && elf.TryVirtualAddressToFileOffset(vaddr, out ulong offset))
            return elf.ReadAt(offset, ElfFile.CheckedLength(size, "DT_STRSZ"), "dynamic string table");
        if (dynamicSection is not null && dynamicSection.Link < elf.Sections.Count)
            return elf.ReadSectionData(elf.Sections[(int)dynamicSection.Link]);
        if (entries.Any(e => e.Tag is DtNeeded or DtSoname or DtRpath or DtRunpath))
            throw new ElfFormatException($"{elf.Name}: dynamic section has string entries but no readable DT_STRTAB");
        return ReadOnlyMemory<byte>.Empty;
    }
}
