using System.Buffers.Binary;

namespace Tracer.Elf;

/// <summary>Reads .symtab and .dynsym into an <see cref="ElfSymbolTable"/>.</summary>
internal static class ElfSymbolReader
{
    private const int EntrySize = 24;
    private const ushort VersionHidden = 0x8000;

    public static ElfSymbolTable Read(ElfFile elf)
    {
        var symbols = new List<ElfSymbol>();
        bool hasSymtab = false, hasDynsym = false;
        Dictionary<ushort, string>? versionNames = null;

        foreach (var section in elf.Sections.Where(s => s.Type == ElfSectionType.SymbolTable))
        {
            hasSymtab = true;
            ReadTable(elf, section, SymbolSource.Symtab, null, null, symbols);
        }
        foreach (var section in elf.Sections.Where(s => s.Type == ElfSectionType.DynamicSymbolTable))
        {
            hasDynsym = true;
            var versym = elf.Sections.FirstOrDefault(s => s.Type == ElfSectionType.GnuVersionSymbols && s.Link == section.Index);
            ReadOnlyMemory<byte>? versions = versym is null ? null : elf.ReadSectionData(versym);
            if (versions is not null)
                versionNames ??= SymbolVersions.ReadNames(elf);
            ReadTable(elf, section, SymbolSource.Dynsym, versions, versionNames, symbols);
        }
        return new ElfSymbolTable(symbols, hasSymtab, hasDynsym);
    }

    private static void ReadTable(
        ElfFile elf,
        ElfSection section,
        SymbolSource source,
        ReadOnlyMemory<byte>? versions,
        Dictionary<ushort, string>? versionNames,
        List<ElfSymbol> into)
    {
        if (section.EntrySize != 0 && section.EntrySize != EntrySize)
            throw new ElfFormatException($"{elf.Name}: {section.Label} has entry size {section.EntrySize}, expected {EntrySize}");
        if (section.Link >= elf.Sections.Count)
            throw new ElfFormatException($"{elf.Name}: {section.Label} links to missing string table section {section.Link}");
        var data = elf.ReadSectionData(section).Span;
        var strings = elf.ReadSectionData(elf.Sections[(int)section.Link]).Span;
        var versym = versions is { } v ? v.Span : default;
        int count = data.Length / EntrySize;
        string tableName = elf.Sections[(int)section.Link].Name;

        for (int i = 1; i < count; i++)
        {
            var e = data.Slice(i * EntrySize, EntrySize);
            uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(e);
            if (nameOffset == 0)
                continue;
            string rawName = ElfStrings.Read(strings, nameOffset, tableName);
            var (name, version, isDefault) = SymbolVersions.Split(rawName);

            if (version is null && versym.Length >= (i + 1) * 2 && versionNames is not null)
            {
                ushort entry = BinaryPrimitives.ReadUInt16LittleEndian(versym[(i * 2)..]);
                if (versionNames.TryGetValue((ushort)(entry & ~VersionHidden), out var versionName))
                {
                    version = versionName;
                    isDefault = (entry & VersionHidden) == 0;
                }
            }

            byte info = e[4];
            into.Add(new ElfSymbol(
                name,
                version,
                isDefault,
                BinaryPrimitives.ReadUInt64LittleEndian(e[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[16..]),
                (SymbolKind)(info & 0xf),
                (SymbolBinding)(info >> 4),
                (byte)(e[5] & 0x3),
                BinaryPrimitives.ReadUInt16LittleEndian(e[6..]),
                source));
        }
    }
}
