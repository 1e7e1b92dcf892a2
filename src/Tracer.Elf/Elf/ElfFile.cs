using System.Buffers.Binary;
using Tracer.Elf.Go;

namespace Tracer.Elf;

/// <summary>
/// A 64-bit little-endian x86-64 ELF file opened for inspection: headers, symbols, dynamic
/// section, build-id, address translation and code bytes. Only the structures actually asked for
/// are read from disk, so opening a large Go binary or a debug-info-heavy library is cheap.
/// </summary>
/// <remarks>Not thread-safe for the first access of each lazily parsed part.</remarks>
public sealed class ElfFile : IDisposable
{
    private const int SectionHeaderSize = 64;
    private const int ProgramHeaderSize = 56;
    private const ushort SectionIndexExtended = 0xffff;
    private const ushort ProgramCountExtended = 0xffff;

    private readonly IElfDataSource _source;
    private readonly ElfHeader _header;
    private ElfDynamicInfo? _dynamic;
    private ElfSymbolTable? _symbols;
    private string? _buildId;
    private bool _buildIdRead;
    private PclntabLoadResult? _pclntab;
    private bool _disposed;

    private ElfFile(IElfDataSource source, string name)
    {
        _source = source;
        Name = name;
        try
        {
            int headerLength = (int)Math.Min(source.Length, ElfHeader.Size);
            _header = ElfHeader.Parse(source.Read(0, headerLength).Span, name);
            var sectionZero = ReadSectionZero();
            Sections = ReadSections(sectionZero);
            ProgramHeaders = ReadProgramHeaders(sectionZero);
        }
        catch
        {
            source.Dispose();
            throw;
        }
        LoadSegments = ProgramHeaders.Where(p => p.Type == ElfSegmentType.Load).ToArray();
    }

    /// <summary>Opens <paramref name="path"/> for reading.</summary>
    /// <exception cref="ElfFormatException">Not a supported ELF file, or its header tables are truncated.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static ElfFile Open(string path) => new(new FileDataSource(path), path);

    /// <summary>Parses an ELF image held in memory; <paramref name="name"/> only appears in messages.</summary>
    /// <exception cref="ElfFormatException">Not a supported ELF image, or its header tables are truncated.</exception>
    public static ElfFile FromBytes(ReadOnlyMemory<byte> image, string name = "<memory>") =>
        new(new MemoryDataSource(image), name);

    /// <summary>The path given to <see cref="Open"/> (or the name given to <see cref="FromBytes"/>).</summary>
    public string Name { get; }

    /// <summary>Size of the file in bytes.</summary>
    public long Length => _source.Length;

    /// <summary>e_type.</summary>
    public ElfType Type => _header.Type;

    /// <summary>e_machine (always 62, EM_X86_64, once opened).</summary>
    public ushort Machine => _header.Machine;

    /// <summary>e_entry.</summary>
    public ulong EntryPoint => _header.Entry;

    /// <summary>All section headers in table order; empty when the file has none.</summary>
    public IReadOnlyList<ElfSection> Sections { get; }

    /// <summary>All program headers in table order.</summary>
    public IReadOnlyList<ElfProgramHeader> ProgramHeaders { get; }

    /// <summary>The PT_LOAD program headers, in table order (ascending vaddr in well-formed files).</summary>
    public IReadOnlyList<ElfProgramHeader> LoadSegments { get; }

    /// <summary>The program interpreter from PT_INTERP (e.g. <c>/lib64/ld-linux-x86-64.so.2</c>), or null.</summary>
    public string? Interpreter
    {
        get
        {
            var interp = ProgramHeaders.FirstOrDefault(p => p.Type == ElfSegmentType.Interpreter);
            if (interp is null || interp.FileSize == 0)
                return null;
            var bytes = ReadAt(interp.Offset, CheckedLength(interp.FileSize, "PT_INTERP"), "PT_INTERP").Span;
            int nul = bytes.IndexOf((byte)0);
            return System.Text.Encoding.UTF8.GetString(nul >= 0 ? bytes[..nul] : bytes);
        }
    }

    /// <summary>
    /// The GNU build-id (NT_GNU_BUILD_ID) as lowercase hex, from a PT_NOTE segment or, when the
    /// file has no PT_NOTE, from SHT_NOTE sections; null when there is none.
    /// </summary>
    public string? BuildId
    {
        get
        {
            if (!_buildIdRead)
            {
                _buildId = ElfNotes.FindBuildId(this);
                _buildIdRead = true;
            }
            return _buildId;
        }
    }

    /// <summary>The dynamic section's needed libraries, soname and search paths (empty for static objects).</summary>
    public ElfDynamicInfo Dynamic => _dynamic ??= ElfDynamicInfo.Read(this);

    /// <summary>Symbols from .symtab and .dynsym, with versions applied to .dynsym entries.</summary>
    public ElfSymbolTable Symbols => _symbols ??= ElfSymbolReader.Read(this);

    /// <summary>The first section named <paramref name="name"/>, or null.</summary>
    public ElfSection? FindSection(string name)
    {
        foreach (var s in Sections)
        {
            if (s.Name == name)
                return s;
        }
        return null;
    }

    /// <summary>The file bytes of <paramref name="section"/> (empty for SHT_NOBITS).</summary>
    /// <exception cref="ElfFormatException">The section runs past the end of the file.</exception>
    public ReadOnlyMemory<byte> ReadSectionData(ElfSection section)
    {
        if (!section.HasFileData || section.Size == 0)
            return ReadOnlyMemory<byte>.Empty;
        return ReadAt(section.Offset, CheckedLength(section.Size, $"section {section.Name}"), $"section {section.Name}");
    }

    /// <summary>Reads <paramref name="length"/> bytes at file offset <paramref name="offset"/>.</summary>
    /// <exception cref="ElfFormatException">The range runs past the end of the file.</exception>
    public ReadOnlyMemory<byte> ReadAt(ulong offset, int length) => ReadAt(offset, length, "data");

    internal ReadOnlyMemory<byte> ReadAt(ulong offset, int length, string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (length < 0 || offset > (ulong)_source.Length || (ulong)length > (ulong)_source.Length - offset)
            throw new ElfFormatException($"{Name}: {what} at file offset 0x{offset:x} (0x{length:x} bytes) runs past the end of the file (0x{_source.Length:x} bytes)");
        return _source.Read((long)offset, length);
    }

    /// <summary>
    /// Translates a virtual address to the file offset a uprobe needs, through the PT_LOAD segment
    /// whose file-backed bytes contain it.
    /// </summary>
    public bool TryVirtualAddressToFileOffset(ulong vaddr, out ulong fileOffset)
    {
        foreach (var seg in LoadSegments)
        {
            if (seg.ContainsFileBackedAddress(vaddr))
            {
                fileOffset = vaddr - seg.VirtualAddress + seg.Offset;
                return true;
            }
        }
        fileOffset = 0;
        return false;
    }

    /// <summary>Like <see cref="TryVirtualAddressToFileOffset"/>, throwing when no segment maps the address.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No PT_LOAD segment has file bytes at <paramref name="vaddr"/>.</exception>
    public ulong VirtualAddressToFileOffset(ulong vaddr) =>
        TryVirtualAddressToFileOffset(vaddr, out ulong offset)
            ? offset
            : throw new ArgumentOutOfRangeException(nameof(vaddr), $"{Name}: virtual address 0x{vaddr:x} is not in the file-backed part of any PT_LOAD segment");

    /// <summary>Translates a file offset to the virtual address it is loaded at (first PT_LOAD containing it).</summary>
    public bool TryFileOffsetToVirtualAddress(ulong fileOffset, out ulong vaddr)
    {
        foreach (var seg in LoadSegments)
        {
            if (seg.ContainsFileOffset(fileOffset))
            {
                vaddr = fileOffset - seg.Offset + seg.VirtualAddress;
                return true;
            }
        }
        vaddr = 0;
        return false;
    }

    /// <summary>Like <see cref="TryFileOffsetToVirtualAddress"/>, throwing when no segment maps the offset.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No PT_LOAD segment covers <paramref name="fileOffset"/>.</exception>
    public ulong FileOffsetToVirtualAddress(ulong fileOffset) =>
        TryFileOffsetToVirtualAddress(fileOffset, out ulong vaddr)
            ? vaddr
            : throw new ArgumentOutOfRangeException(nameof(fileOffset), $"{Name}: file offset 0x{fileOffset:x} is not inside any PT_LOAD segment");

    /// <summary>
    /// Reads <paramref name="length"/> loaded bytes starting at <paramref name="vaddr"/> (a function
    /// body, a Go string). The whole range must be file-backed and inside one PT_LOAD segment.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not entirely file-backed by one segment.</exception>
    public ReadOnlyMemory<byte> ReadBytes(ulong vaddr, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0)
            return ReadOnlyMemory<byte>.Empty;
        foreach (var seg in LoadSegments)
        {
            if (!seg.ContainsFileBackedAddress(vaddr))
                continue;
            ulong available = seg.FileSize - (vaddr - seg.VirtualAddress);
            if ((ulong)length > available)
                throw new ArgumentOutOfRangeException(nameof(length), $"{Name}: 0x{length:x} bytes at 0x{vaddr:x} run past the file-backed end of PT_LOAD segment {seg.Index} (0x{available:x} bytes available)");
            return ReadAt(vaddr - seg.VirtualAddress + seg.Offset, length, $"bytes at vaddr 0x{vaddr:x}");
        }
        throw new ArgumentOutOfRangeException(nameof(vaddr), $"{Name}: virtual address 0x{vaddr:x} is not in the file-backed part of any PT_LOAD segment");
    }

    /// <summary>
    /// Finds a function's address range: from .symtab when it has the function, then .dynsym, then
    /// the Go pclntab (which survives <c>-ldflags=-s -w</c>).
    /// </summary>
    /// <exception cref="FunctionNotFoundException">No source has it; the message says what each source lacked.</exception>
    public FunctionLocation FindFunction(string name) =>
        FunctionFinder.TryFind(this, name, out var location, out string? reason)
            ? location!
            : throw new FunctionNotFoundException(name, reason!);

    /// <summary>Non-throwing <see cref="FindFunction"/>; <paramref name="reason"/> explains a miss.</summary>
    public bool TryFindFunction(string name, out FunctionLocation? location, out string? reason) =>
        FunctionFinder.TryFind(this, name, out location, out reason);

    /// <summary>The Go pclntab of this file, loaded once; never throws (failures are in the result).</summary>
    internal PclntabLoadResult Pclntab => _pclntab ??= GoPclntab.TryLoadInternal(this);

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        _source.Dispose();
    }

    internal static int CheckedLength(ulong size, string what) =>
        size <= int.MaxValue ? (int)size : throw new ElfFormatException($"{what} is too large to read (0x{size:x} bytes)");

    private ReadOnlyMemory<byte>? ReadSectionZero()
    {
        if (_header.SectionHeaderOffset == 0)
            return null;
        if (_header.SectionHeaderEntrySize != SectionHeaderSize)
            throw new ElfFormatException($"{Name}: unexpected section header size {_header.SectionHeaderEntrySize} (expected {SectionHeaderSize})");
        return ReadAt(_header.SectionHeaderOffset, SectionHeaderSize, "section header 0");
    }

    private IReadOnlyList<ElfSection> ReadSections(ReadOnlyMemory<byte>? sectionZero)
    {
        if (sectionZero is null)
            return [];
        var zero = sectionZero.Value.Span;
        // Files with 0xff00 or more sections keep the real count and name index in section 0.
        ulong count = _header.SectionHeaderCount != 0 ? _header.SectionHeaderCount : BinaryPrimitives.ReadUInt64LittleEndian(zero[32..]);
        uint nameIndex = _header.SectionNameIndex == SectionIndexExtended ? BinaryPrimitives.ReadUInt32LittleEndian(zero[40..]) : _header.SectionNameIndex;
        if (count == 0)
            return [];
        if (count > (ulong)(_source.Length / SectionHeaderSize))
            throw new ElfFormatException($"{Name}: section header count {count} cannot fit in a file of 0x{_source.Length:x} bytes");

        var table = ReadAt(_header.SectionHeaderOffset, checked((int)count * SectionHeaderSize), "section header table").Span;
        var raw = new (uint Name, ElfSection Section)[count];
        for (int i = 0; i < (int)count; i++)
        {
            var e = table.Slice(i * SectionHeaderSize, SectionHeaderSize);
            raw[i] = (BinaryPrimitives.ReadUInt32LittleEndian(e), new ElfSection(
                i,
                "",
                (ElfSectionType)BinaryPrimitives.ReadUInt32LittleEndian(e[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[24..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[32..]),
                BinaryPrimitives.ReadUInt32LittleEndian(e[40..]),
                BinaryPrimitives.ReadUInt32LittleEndian(e[44..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[48..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[56..])));
        }

        if (nameIndex == 0 || nameIndex >= count)
            return raw.Select(r => r.Section).ToArray();
        var names = ReadSectionData(raw[nameIndex].Section).Span;
        var sections = new ElfSection[count];
        for (int i = 0; i < sections.Length; i++)
            sections[i] = raw[i].Section with { Name = ElfStrings.Read(names, raw[i].Name, ".shstrtab") };
        return sections;
    }

    private IReadOnlyList<ElfProgramHeader> ReadProgramHeaders(ReadOnlyMemory<byte>? sectionZero)
    {
        ulong count = _header.ProgramHeaderCount;
        if (count == ProgramCountExtended && sectionZero is not null)
            count = BinaryPrimitives.ReadUInt32LittleEndian(sectionZero.Value.Span[44..]);
        if (count == 0 || _header.ProgramHeaderOffset == 0)
            return [];
        if (_header.ProgramHeaderEntrySize != ProgramHeaderSize)
            throw new ElfFormatException($"{Name}: unexpected program header size {_header.ProgramHeaderEntrySize} (expected {ProgramHeaderSize})");
        if (count > (ulong)(_source.Length / ProgramHeaderSize))
            throw new ElfFormatException($"{Name}: program header count {count} cannot fit in a file of 0x{_source.Length:x} bytes");

        var table = ReadAt(_header.ProgramHeaderOffset, checked((int)count * ProgramHeaderSize), "program header table").Span;
        var result = new ElfProgramHeader[count];
        for (int i = 0; i < (int)count; i++)
        {
            var e = table.Slice(i * ProgramHeaderSize, ProgramHeaderSize);
            result[i] = new ElfProgramHeader(
                i,
                (ElfSegmentType)BinaryPrimitives.ReadUInt32LittleEndian(e),
                (ElfSegmentFlags)BinaryPrimitives.ReadUInt32LittleEndian(e[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[24..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[32..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[40..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[48..]));
        }
        return result;
    }
}
