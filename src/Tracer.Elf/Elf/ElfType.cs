namespace Tracer.Elf;

/// <summary>The ELF object type (<c>e_type</c>).</summary>
public enum ElfType : ushort
{
    /// <summary>ET_NONE.</summary>
    None = 0,

    /// <summary>ET_REL: an object file not yet linked.</summary>
    Relocatable = 1,

    /// <summary>ET_EXEC: a position-dependent executable, loaded at its link-time addresses.</summary>
    Executable = 2,

    /// <summary>ET_DYN: a shared library or a position-independent executable.</summary>
    SharedObject = 3,

    /// <summary>ET_CORE: a core dump.</summary>
    Core = 4,
}
