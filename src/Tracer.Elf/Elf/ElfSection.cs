namespace Tracer.Elf;

/// <summary>One section header, with its name resolved from the section-name string table.</summary>
/// <param name="Index">Position in the section header table.</param>
/// <param name="Name">Section name (empty for index 0 or when there is no name table).</param>
/// <param name="Type">sh_type.</param>
/// <param name="Flags">sh_flags (SHF_ALLOC = 2, SHF_EXECINSTR = 4, ...).</param>
/// <param name="Address">sh_addr: virtual address when loaded, 0 for non-allocated sections.</param>
/// <param name="Offset">sh_offset: position of the bytes in the file.</param>
/// <param name="Size">sh_size in bytes.</param>
/// <param name="Link">sh_link: usually the index of an associated section (string table of a symbol table).</param>
/// <param name="Info">sh_info.</param>
/// <param name="Alignment">sh_addralign.</param>
/// <param name="EntrySize">sh_entsize for tables of fixed-size entries.</param>
public sealed record ElfSection(
    int Index,
    string Name,
    ElfSectionType Type,
    ulong Flags,
    ulong Address,
    ulong Offset,
    ulong Size,
    uint Link,
    uint Info,
    ulong Alignment,
    ulong EntrySize)
{
    /// <summary>True when the section has file bytes (anything but SHT_NOBITS and SHT_NULL).</summary>
    public bool HasFileData => Type != ElfSectionType.NoBits && Type != ElfSectionType.Null;

    /// <summary>How messages name the section: <c>section [3] .dynsym</c>, or <c>section [3]</c> when unnamed.</summary>
    public string Label => Name.Length == 0 ? $"section [{Index}]" : $"section [{Index}] {Name}";
}
