using System.Buffers.Binary;
using System.Text;

namespace Tracer.Elf.Go;

/// <summary>
/// The Go runtime's function table (pclntab): every Go function's name and address range. The
/// Go linker keeps it in stripped binaries because the runtime itself needs it for stack
/// unwinding, which makes it the way to find probe targets when .symtab is gone.
/// </summary>
public sealed class GoPclntab
{
    /// <summary>Magic of the Go 1.16/1.17 layout.</summary>
    public const uint MagicGo116 = 0xFFFFFFFA;

    /// <summary>Magic of the Go 1.18/1.19 layout.</summary>
    public const uint MagicGo118 = 0xFFFFFFF0;

    /// <summary>Magic of the Go 1.20+ layout.</summary>
    public const uint MagicGo120 = 0xFFFFFFF1;

    private const uint MagicGo12 = 0xFFFFFFFB;
    private const byte FuncFlagAsm = 4;
    private const int FlagOffsetGo118 = 37;
    private const int FlagOffsetGo120 = 41;
    private const int ScanChunk = 4 << 20;
    private const int ScanOverlap = 64;
    private static readonly string[] s_sectionNames = [".gopclntab", ".data.rel.ro.gopclntab"];
    private static readonly string[] s_symbolNames = ["runtime.pcheader", "runtime.pclntab"];

    private Dictionary<string, GoFunction>? _byName;

    private GoPclntab(GoPclntabVersion version, uint magic, ulong address, GoPclntabLocation location, ulong textStart, GoModuleData? moduleData, IReadOnlyList<GoFunction> functions)
    {
        Version = version;
        Magic = magic;
        Address = address;
        Location = location;
        TextStart = textStart;
        ModuleData = moduleData;
        Functions = functions;
    }

    /// <summary>Which layout the table uses.</summary>
    public GoPclntabVersion Version { get; }

    /// <summary>The header magic.</summary>
    public uint Magic { get; }

    /// <summary>Virtual address of the table header.</summary>
    public ulong Address { get; }

    /// <summary>How the table was found.</summary>
    public GoPclntabLocation Location { get; }

    /// <summary>The text base the function entries are relative to (1.18+), or the first entry (1.16).</summary>
    public ulong TextStart { get; }

    /// <summary>
    /// The module descriptor the text base was taken from when the header's <c>textStart</c> is 0 (Go 1.26+), or
    /// through which the table itself was found; null when neither was needed.
    /// </summary>
    public GoModuleData? ModuleData { get; }

    /// <summary>All functions, in ascending entry order.</summary>
    public IReadOnlyList<GoFunction> Functions { get; }

    /// <summary>Finds and parses the pclntab of <paramref name="elf"/>.</summary>
    /// <exception cref="GoFormatException">There is none, its magic is unknown, or it is corrupt; the message says which.</exception>
    public static GoPclntab Load(ElfFile elf)
    {
        var result = elf.Pclntab;
        return result.Table ?? throw new GoFormatException(result.Failure!);
    }

    /// <summary>Non-throwing <see cref="Load"/>; <paramref name="failure"/> explains a miss.</summary>
    public static bool TryLoad(ElfFile elf, out GoPclntab? table, out string? failure)
    {
        var result = elf.Pclntab;
        table = result.Table;
        failure = result.Failure;
        return table is not null;
    }

    /// <summary>
    /// Looks a function up by name, accepting .symtab's spellings: <c>name.abi0</c> for the ABI0
    /// twin of a duplicated name, and bracketed names that the table stores as <c>[...]</c>.
    /// </summary>
    public bool TryFindFunction(string name, out GoFunction function)
    {
        _byName ??= BuildNameIndex(Functions);
        if (_byName.TryGetValue(name, out function!))
            return true;
        string collapsed = CollapseBrackets(name);
        if (collapsed == name)
            return false;
        var matches = Functions.Where(f => f.Name == collapsed).Take(2).ToArray();
        if (matches.Length != 1)
            return false;
        function = matches[0];
        return true;
    }

    /// <summary>
    /// The linker writes names with the span from the first '[' to the last ']' replaced by
    /// <c>[...]</c> (meant for generic instantiations, but it also hits <c>type..eq.[5]T</c>), so a
    /// bracketed .symtab name is matched in that form when exactly one function carries it.
    /// </summary>
    private static string CollapseBrackets(string name)
    {
        int open = name.IndexOf('[');
        int close = name.LastIndexOf(']');
        return open >= 0 && close > open ? string.Concat(name.AsSpan(0, open), "[...]", name.AsSpan(close + 1)) : name;
    }

    /// <summary>
    /// A name can appear twice: a Go function and the ABI0 wrapper assembly calls it through, or an
    /// assembly body and the Go-ABI wrapper Go calls it through. .symtab keeps the plain name for
    /// the Go-ABI one and suffixes the other with <c>.abi0</c>. The table has no ABI marker, so the
    /// plain name goes to the non-assembly entry that comes first (the wrapper is emitted later),
    /// and <c>.abi0</c> to the remaining one; a name seen once answers to both forms.
    /// </summary>
    private static Dictionary<string, GoFunction> BuildNameIndex(IReadOnlyList<GoFunction> functions)
    {
        var groups = new Dictionary<string, List<GoFunction>>(functions.Count, StringComparer.Ordinal);
        foreach (var f in functions)
        {
            if (!groups.TryGetValue(f.Name, out var list))
                groups[f.Name] = list = [];
            list.Add(f);
        }
        var map = new Dictionary<string, GoFunction>(functions.Count * 2, StringComparer.Ordinal);
        foreach (var (name, group) in groups)
            map[name] = group.FirstOrDefault(f => !f.IsAssembly) ?? group[0];
        foreach (var (name, group) in groups)
        {
            var preferred = map[name];
            var other = group.FirstOrDefault(f => f != preferred && f.IsAssembly) ?? group.FirstOrDefault(f => f != preferred) ?? preferred;
            map.TryAdd(name + ".abi0", other);
        }
        return map;
    }

    /// <summary>The function whose [Entry, End) contains <paramref name="pc"/>, or null.</summary>
    public GoFunction? FindFunctionContaining(ulong pc)
    {
        int lo = 0, hi = Functions.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var f = Functions[mid];
            if (pc < f.Entry)
                hi = mid - 1;
            else if (pc >= f.End)
                lo = mid + 1;
            else
                return f;
        }
        return null;
    }

    internal static PclntabLoadResult TryLoadInternal(ElfFile elf)
    {
        try
        {
            foreach (var name in s_sectionNames)
            {
                var section = elf.FindSection(name);
                if (section is null || !section.HasFileData)
                    continue;
                var table = Parse(elf, elf.ReadSectionData(section).Span, section.Address, GoPclntabLocation.Section, $"section {name}");
                return new PclntabLoadResult(table, null);
            }

            var symbols = elf.Symbols;
            foreach (var name in s_symbolNames)
            {
                var symbol = symbols.Lookup(name).FirstOrDefault(s => s.IsDefined);
                if (symbol is null || !elf.TryVirtualAddressToFileOffset(symbol.Value, out _))
                    continue;
                var data = elf.ReadBytes(symbol.Value, BytesToSegmentEnd(elf, symbol.Value, symbols)).Span;
                // From Go 1.18 runtime.pclntab marks the function data inside the table, not its header.
                if (data.Length < 4 || !IsKnownMagic(BinaryPrimitives.ReadUInt32LittleEndian(data)))
                    continue;
                return new PclntabLoadResult(Parse(elf, data, symbol.Value, GoPclntabLocation.Symbol, $"symbol {name}"), null);
            }

            // Without sections or symbols: the runtime's module descriptor points at the header.
            if (GoModuleData.Find(elf, null, out _) is { } module)
            {
                var data = elf.ReadBytes(module.PcHeader, BytesToSegmentEnd(elf, module.PcHeader, symbols)).Span;
                return new PclntabLoadResult(Parse(elf, data, module.PcHeader, GoPclntabLocation.ModuleData, $"runtime.firstmoduledata at 0x{module.Address:x} ({module.Where})", module), null);
            }

            var scanned = Scan(elf);
            if (scanned is not null)
                return new PclntabLoadResult(scanned, null);

            string symbolPart = symbols.HasSymtab ? "no runtime.pcheader/runtime.pclntab symbol" : "no .symtab to find runtime.pcheader in";
            return new PclntabLoadResult(null, $"{elf.Name}: Go pclntab missing: no .gopclntab section, {symbolPart}, no runtime.firstmoduledata pointing at one, and no pclntab header (magic 0xFFFFFFF0/0xFFFFFFF1/0xFFFFFFFA) in any PT_LOAD segment");
        }
        catch (ElfFormatException e)
        {
            return new PclntabLoadResult(null, e.Message);
        }
    }

    private static bool IsKnownMagic(uint magic) => magic is MagicGo116 or MagicGo118 or MagicGo120;

    private static int BytesToSegmentEnd(ElfFile elf, ulong vaddr, ElfSymbolTable symbols)
    {
        var segment = elf.LoadSegments.FirstOrDefault(s => s.ContainsFileBackedAddress(vaddr))
            ?? throw new ElfFormatException($"{elf.Name}: pclntab header 0x{vaddr:x} is not file-backed");
        ulong toEnd = segment.FileSize - (vaddr - segment.VirtualAddress);
        var end = symbols.Lookup("runtime.epclntab").FirstOrDefault(s => s.IsDefined);
        if (end is not null && end.Value > vaddr && end.Value - vaddr < toEnd)
            toEnd = end.Value - vaddr;
        return ElfFile.CheckedLength(toEnd, "pclntab");
    }

    /// <summary>
    /// Without section headers or symbols (externally linked PIE puts the table inside
    /// .data.rel.ro), look for a header whose function entries land in executable segments.
    /// </summary>
    private static GoPclntab? Scan(ElfFile elf)
    {
        foreach (var segment in elf.LoadSegments)
        {
            for (ulong start = 0; start < segment.FileSize; start += ScanChunk)
            {
                int length = (int)Math.Min(segment.FileSize - start, ScanChunk + ScanOverlap);
                var chunk = elf.ReadAt(segment.Offset + start, length, "PT_LOAD segment").Span;
                for (int pos = 0; pos + 8 <= chunk.Length && pos < ScanChunk; pos += 4)
                {
                    uint magic = BinaryPrimitives.ReadUInt32LittleEndian(chunk[pos..]);
                    if (!IsKnownMagic(magic) || chunk[pos + 4] != 0 || chunk[pos + 5] != 0 || chunk[pos + 6] is not (1 or 2 or 4) || chunk[pos + 7] != 8)
                        continue;
                    ulong vaddr = segment.VirtualAddress + start + (ulong)pos;
                    var table = TryParseCandidate(elf, segment, vaddr);
                    if (table is not null)
                        return table;
                }
            }
        }
        return null;
    }

    private static GoPclntab? TryParseCandidate(ElfFile elf, ElfProgramHeader segment, ulong vaddr)
    {
        try
        {
            int length = ElfFile.CheckedLength(segment.FileSize - (vaddr - segment.VirtualAddress), "pclntab candidate");
            var table = Parse(elf, elf.ReadBytes(vaddr, length).Span, vaddr, GoPclntabLocation.SegmentScan, $"pclntab candidate at 0x{vaddr:x}");
            bool InText(ulong pc) => elf.LoadSegments.Any(s => (s.Flags & ElfSegmentFlags.Execute) != 0 && pc >= s.VirtualAddress && pc - s.VirtualAddress < s.MemorySize);
            return table.Functions.Count > 0 && InText(table.Functions[0].Entry) && InText(table.Functions[^1].End - 1) ? table : null;
        }
        catch (GoFormatException)
        {
            return null;
        }
    }

    private static GoPclntab Parse(ElfFile elf, ReadOnlySpan<byte> data, ulong address, GoPclntabLocation location, string where, GoModuleData? module = null)
    {
        where = $"{elf.Name}: pclntab in {where}";
        if (data.Length < 8)
            throw new GoFormatException($"{where}: {data.Length} bytes is too short for a header");
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(data);
        GoPclntabVersion version = magic switch
        {
            MagicGo116 => GoPclntabVersion.Go116,
            MagicGo118 => GoPclntabVersion.Go118,
            MagicGo120 => GoPclntabVersion.Go120,
            MagicGo12 => throw new GoFormatException($"{where}: unknown magic 0x{magic:X8} (the Go 1.2-1.15 layout, not supported)"),
            _ => throw new GoFormatException($"{where}: unknown magic 0x{magic:X8}"),
        };
        if (data[4] != 0 || data[5] != 0)
            throw new GoFormatException($"{where}: header padding is not zero");
        int ptrSize = data[7];
        if (ptrSize is not (4 or 8))
            throw new GoFormatException($"{where}: pointer size {ptrSize}");

        var reader = new PclntabReader(data, ptrSize, where);
        ulong nfunc = reader.Word(0);
        if (nfunc > (ulong)data.Length / 8)
            throw new GoFormatException($"{where}: function count {nfunc} does not fit in 0x{data.Length:x} bytes");
        int count = (int)nfunc;
        var entries = new ulong[count + 1];
        var names = new string[count];
        var assembly = new bool[count];
        ulong textStart;

        if (version == GoPclntabVersion.Go116)
        {
            ulong nameTab = reader.Word(2);
            ulong funcTab = reader.Word(6);
            ulong pairSize = 2 * (ulong)ptrSize;
            for (int i = 0; i < count; i++)
            {
                ulong slot = funcTab + (ulong)i * pairSize;
                entries[i] = reader.Pointer(slot);
                ulong func = funcTab + reader.Pointer(slot + (ulong)ptrSize);
                names[i] = reader.CString(nameTab, reader.Int32(func + (ulong)ptrSize));
            }
            entries[count] = reader.Pointer(funcTab + (ulong)count * pairSize);
            textStart = count > 0 ? entries[0] : 0;
        }
        else
        {
            textStart = reader.Word(2);
            if (textStart == 0)
            {
                // Go 1.26 and later: entries are relative to the module's text, which only moduledata records.
                module ??= GoModuleData.Find(elf, address, out string? missing)
                    ?? throw new GoFormatException($"{where}: the header's textStart is 0 (Go 1.26+ layout) and the text base is unknown: {missing}");
                textStart = module.Text;
            }
            ulong nameTab = reader.Word(3);
            ulong funcTab = reader.Word(7);
            // Go 1.20 inserted startLine before funcID/flag in _func.
            ulong flagOffset = (ulong)(version == GoPclntabVersion.Go118 ? FlagOffsetGo118 : FlagOffsetGo120);
            for (int i = 0; i < count; i++)
            {
                ulong slot = funcTab + (ulong)i * 8;
                entries[i] = textStart + reader.UInt32(slot);
                ulong func = funcTab + reader.UInt32(slot + 4);
                names[i] = reader.CString(nameTab, reader.Int32(func + 4));
                assembly[i] = (reader.Byte(func + flagOffset) & FuncFlagAsm) != 0;
            }
            entries[count] = textStart + reader.UInt32(funcTab + (ulong)count * 8);
        }

        var functions = new GoFunction[count];
        for (int i = 0; i < count; i++)
        {
            if (entries[i + 1] < entries[i])
                throw new GoFormatException($"{where}: function table is not sorted at index {i} (0x{entries[i]:x} then 0x{entries[i + 1]:x})");
            functions[i] = new GoFunction(names[i], entries[i], entries[i + 1], assembly[i]);
        }
        return new GoPclntab(version, magic, address, location, textStart, module, functions);
    }

    /// <summary>Bounds-checked reads relative to the pclntab header.</summary>
    private readonly ref struct PclntabReader(ReadOnlySpan<byte> data, int ptrSize, string where)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public ulong Word(int index) => Pointer(8 + (ulong)(index * ptrSize));

        public ulong Pointer(ulong offset) =>
            ptrSize == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(Slice(offset, 8)) : BinaryPrimitives.ReadUInt32LittleEndian(Slice(offset, 4));

        public uint UInt32(ulong offset) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(offset, 4));

        public byte Byte(ulong offset) => Slice(offset, 1)[0];

        public int Int32(ulong offset) => BinaryPrimitives.ReadInt32LittleEndian(Slice(offset, 4));

        public string CString(ulong tableOffset, int nameOffset)
        {
            if (nameOffset < 0)
                throw new GoFormatException($"{where}: negative function name offset {nameOffset}");
            ulong start = tableOffset + (ulong)nameOffset;
            if (start >= (ulong)_data.Length)
                throw new GoFormatException($"{where}: function name at 0x{start:x} is past the table end (0x{_data.Length:x})");
            var rest = _data[(int)start..];
            int nul = rest.IndexOf((byte)0);
            if (nul < 0)
                throw new GoFormatException($"{where}: function name at 0x{start:x} is not NUL-terminated");
            return Encoding.UTF8.GetString(rest[..nul]);
        }

        private ReadOnlySpan<byte> Slice(ulong offset, int length)
        {
            if (offset > (ulong)_data.Length || (ulong)length > (ulong)_data.Length - offset)
                throw new GoFormatException($"{where}: read of {length} bytes at 0x{offset:x} is past the table end (0x{_data.Length:x})");
            return _data.Slice((int)offset, length);
        }
    }
}
