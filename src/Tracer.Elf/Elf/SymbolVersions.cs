using System.Buffers.Binary;

namespace Tracer.Elf;

/// <summary>GNU symbol versioning: .gnu.version_d / .gnu.version_r index-to-name maps and <c>@</c> suffixes.</summary>
internal static class SymbolVersions
{
    private const ushort VerFlagBase = 1;

    /// <summary>Splits <c>name@@VER</c> / <c>name@VER</c>; a plain name has no version and counts as default.</summary>
    public static (string Name, string? Version, bool IsDefault) Split(string name)
    {
        int at = name.IndexOf('@');
        if (at <= 0)
            return (name, null, true);
        bool isDefault = at + 1 < name.Length && name[at + 1] == '@';
        string version = name[(at + (isDefault ? 2 : 1))..];
        return (name[..at], version.Length == 0 ? null : version, isDefault);
    }

    /// <summary>
    /// Version index to name for the indices .gnu.version can hold. Index 1 (the file's base
    /// definition, named after its soname) is left out: symbols carrying it are unversioned.
    /// </summary>
    public static Dictionary<ushort, string> ReadNames(ElfFile elf)
    {
        var names = new Dictionary<ushort, string>();
        foreach (var section in elf.Sections)
        {
            if (section.Type == ElfSectionType.GnuVersionDefinitions)
                ReadDefinitions(elf, section, names);
            else if (section.Type == ElfSectionType.GnuVersionNeeds)
                ReadNeeds(elf, section, names);
        }
        return names;
    }

    private static ReadOnlyMemory<byte> LinkedStrings(ElfFile elf, ElfSection section) =>
        section.Link < elf.Sections.Count
            ? elf.ReadSectionData(elf.Sections[(int)section.Link])
            : throw new ElfFormatException($"{elf.Name}: {section.Label} links to missing string table section {section.Link}");

    private static void ReadDefinitions(ElfFile elf, ElfSection section, Dictionary<ushort, string> names)
    {
        var data = elf.ReadSectionData(section).Span;
        var strings = LinkedStrings(elf, section).Span;
        int pos = 0;
        for (uint i = 0; i < section.Info; i++)
        {
            Require(elf, section, data, pos, 20);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 2)..]);
            ushort index = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 4)..]);
            ushort auxCount = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 6)..]);
            uint aux = BinaryPrimitives.ReadUInt32LittleEndian(data[(pos + 12)..]);
            uint next = BinaryPrimitives.ReadUInt32LittleEndian(data[(pos + 16)..]);
            if (auxCount > 0 && (flags & VerFlagBase) == 0)
            {
                int auxPos = checked(pos + (int)aux);
                Require(elf, section, data, auxPos, 8);
                names[index] = ElfStrings.Read(strings, BinaryPrimitives.ReadUInt32LittleEndian(data[auxPos..]), section.Name + " strings");
            }
            if (next == 0)
                break;
            pos = checked(pos + (int)next);
        }
    }

    private static void ReadNeeds(ElfFile elf, ElfSection section, Dictionary<ushort, string> names)
    {
        var data = elf.ReadSectionData(section).Span;
        var strings = LinkedStrings(elf, section).Span;
        int pos = 0;
        for (uint i = 0; i < section.Info; i++)
        {
            Require(elf, section, data, pos, 16);
            ushort count = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 2)..]);
            uint aux = BinaryPrimitives.ReadUInt32LittleEndian(data[(pos + 8)..]);
            uint next = BinaryPrimitives.ReadUInt32LittleEndian(data[(pos + 12)..]);
            int auxPos = checked(pos + (int)aux);
            for (int j = 0; j < count; j++)
            {
                Require(elf, section, data, auxPos, 16);
                ushort other = BinaryPrimitives.ReadUInt16LittleEndian(data[(auxPos + 6)..]);
                names[(ushort)(other & 0x7fff)] = ElfStrings.Read(strings, BinaryPrimitives.ReadUInt32LittleEndian(data[(auxPos + 8)..]), section.Name + " strings");
                uint auxNext = BinaryPrimitives.ReadUInt32LittleEndian(data[(auxPos + 12)..]);
                if (auxNext == 0)
                    break;
                auxPos = checked(auxPos + (int)auxNext);
            }
            if (next == 0)
                break;
            pos = checked(pos + (int)next);
        }
    }

    private static void Require(ElfFile elf, ElfSection section, ReadOnlySpan<byte> data, int pos, int size)
    {
        if (pos < 0 || pos > data.Length - size)
            throw new ElfFormatException($"{elf.Name}: {section.Label} entry at 0x{pos:x} runs past the section end (0x{data.Length:x})");
    }
}
