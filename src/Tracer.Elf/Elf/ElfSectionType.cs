namespace Tracer.Elf;

/// <summary>Section header types (<c>sh_type</c>) this library interprets; other values pass through unnamed.</summary>
public enum ElfSectionType : uint
{
    /// <summary>SHT_NULL.</summary>
    Null = 0,

    /// <summary>SHT_PROGBITS.</summary>
    ProgBits = 1,

    /// <summary>SHT_SYMTAB: the full (strippable) symbol table.</summary>
    SymbolTable = 2,

    /// <summary>SHT_STRTAB.</summary>
    StringTable = 3,

    /// <summary>SHT_RELA.</summary>
    Rela = 4,

    /// <summary>SHT_HASH.</summary>
    Hash = 5,

    /// <summary>SHT_DYNAMIC.</summary>
    Dynamic = 6,

    /// <summary>SHT_NOTE.</summary>
    Note = 7,

    /// <summary>SHT_NOBITS: occupies memory but no file bytes (.bss).</summary>
    NoBits = 8,

    /// <summary>SHT_DYNSYM: the symbols the dynamic linker sees.</summary>
    DynamicSymbolTable = 11,

    /// <summary>SHT_GNU_HASH.</summary>
    GnuHash = 0x6ffffff6,

    /// <summary>SHT_GNU_verdef (.gnu.version_d): versions this object defines.</summary>
    GnuVersionDefinitions = 0x6ffffffd,

    /// <summary>SHT_GNU_verneed (.gnu.version_r): versions this object requires.</summary>
    GnuVersionNeeds = 0x6ffffffe,

    /// <summary>SHT_GNU_versym (.gnu.version): one version index per .dynsym entry.</summary>
    GnuVersionSymbols = 0x6fffffff,
}
