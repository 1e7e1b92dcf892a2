using System.Buffers.Binary;

namespace Tracer.Elf.Go;

/// <summary>
/// The runtime's descriptor of the main module (<c>runtime.firstmoduledata</c>): where its pclntab header is and
/// where its Go text starts and ends. Since Go 1.26 the pclntab header's <c>textStart</c> is 0 and function entries
/// are relative to <see cref="Text"/>, which only this structure (or the symbol <c>runtime.text</c>) holds. It
/// starts with the header pointer and the slices into the table, the same from Go 1.16 to 1.27 on 64-bit targets:
/// pcHeader, funcnametab, cutab, filetab, pctab, pclntable, ftab (each a pointer, length, capacity), findfunctab,
/// minpc, maxpc, text, etext.
/// </summary>
/// <param name="Address">Virtual address of the structure.</param>
/// <param name="PcHeader">Virtual address of the pclntab header it points at.</param>
/// <param name="Text">Start of the module's Go text (<c>runtime.text</c>).</param>
/// <param name="EText">End of the module's Go text.</param>
/// <param name="Where">How it was found, for messages.</param>
public sealed record GoModuleData(ulong Address, ulong PcHeader, ulong Text, ulong EText, string Where)
{
    private const int Words = 24;
    private const int FuncNameTabWord = 1;
    private const int FtabWord = 16;
    private const int TextWord = 22;
    private const int ETextWord = 23;
    private const int ScanChunk = 1 << 20;

    /// <summary>
    /// Finds the module descriptor: the <c>.go.module</c> section (Go 1.26+), the <c>runtime.firstmoduledata</c>
    /// symbol, or a search of the writable segments for a structure whose first word is a pclntab header's address
    /// and whose slices point into that table. <paramref name="pcHeader"/>, when known, is the header it must name.
    /// </summary>
    /// <returns>The descriptor, or null with <paramref name="failure"/> saying what was looked for.</returns>
    public static GoModuleData? Find(ElfFile elf, ulong? pcHeader, out string? failure)
    {
        var section = elf.FindSection(".go.module");
        if (section is not null && section.HasFileData && TryAt(elf, section.Address, pcHeader, "section .go.module") is { } fromSection)
        {
            failure = null;
            return fromSection;
        }
        var symbol = elf.Symbols.Lookup("runtime.firstmoduledata").FirstOrDefault(s => s.IsDefined);
        if (symbol is not null && TryAt(elf, symbol.Value, pcHeader, "symbol runtime.firstmoduledata") is { } fromSymbol)
        {
            failure = null;
            return fromSymbol;
        }
        foreach (var segment in elf.LoadSegments.Where(s => (s.Flags & ElfSegmentFlags.Write) != 0))
        {
            for (ulong start = 0; start < segment.FileSize; start += ScanChunk)
            {
                int length = (int)Math.Min(segment.FileSize - start, ScanChunk + Words * 8);
                var chunk = elf.ReadAt(segment.Offset + start, length, "PT_LOAD segment").Span;
                ulong first = (8 - ((segment.VirtualAddress + start) & 7)) & 7;
                for (int pos = (int)first; pos + Words * 8 <= chunk.Length && pos < ScanChunk; pos += 8)
                {
                    ulong header = BinaryPrimitives.ReadUInt64LittleEndian(chunk[pos..]);
                    ulong names = BinaryPrimitives.ReadUInt64LittleEndian(chunk[(pos + 8 * FuncNameTabWord)..]);
                    // Cheap filter first: the name table follows the header by less than a few MiB.
                    if (header == 0 || (pcHeader is { } want && header != want) || names <= header || names - header > 1 << 26)
                        continue;
                    ulong vaddr = segment.VirtualAddress + start + (ulong)pos;
                    if (TryAt(elf, vaddr, pcHeader, $"a search of PT_LOAD segment {segment.Index}") is { } found)
                    {
                        failure = null;
                        return found;
                    }
                }
            }
        }
        failure = "no runtime.firstmoduledata found (no .go.module section, no runtime.firstmoduledata symbol, " +
            (pcHeader is { } h ? $"no pointer to the pclntab header 0x{h:x}" : "no pointer to a pclntab header") + " in any writable PT_LOAD segment)";
        return null;
    }

    /// <summary>Reads and checks a descriptor at <paramref name="address"/>: its slices must point into the header's table.</summary>
    private static GoModuleData? TryAt(ElfFile elf, ulong address, ulong? pcHeader, string where)
    {
        Span<ulong> w = stackalloc ulong[Words];
        ReadOnlySpan<byte> bytes;
        try
        {
            bytes = elf.ReadBytes(address, Words * 8).Span;
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
        for (int i = 0; i < Words; i++)
            w[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(i * 8)..]);
        if (pcHeader is { } want && w[0] != want)
            return null;
        if (!GoPclntabHeader.TryRead(elf, w[0], out var header))
            return null;
        bool consistent = w[FuncNameTabWord] == w[0] + header.FuncNameOffset
            && w[FtabWord] == w[0] + header.PclnOffset
            && w[FtabWord + 1] == header.FunctionCount + 1
            && w[ETextWord] > w[TextWord]
            && (header.TextStart == 0 || header.TextStart == w[TextWord]);
        return consistent ? new GoModuleData(address, w[0], w[TextWord], w[ETextWord], where) : null;
    }
}
