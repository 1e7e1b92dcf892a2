namespace Tracer.Elf;

/// <summary>Program header types (<c>p_type</c>) this library interprets; other values pass through unnamed.</summary>
public enum ElfSegmentType : uint
{
    /// <summary>PT_NULL.</summary>
    Null = 0,

    /// <summary>PT_LOAD: a range of the file mapped into memory; the basis of vaddr/offset translation.</summary>
    Load = 1,

    /// <summary>PT_DYNAMIC: the dynamic section.</summary>
    Dynamic = 2,

    /// <summary>PT_INTERP: the program interpreter path.</summary>
    Interpreter = 3,

    /// <summary>PT_NOTE.</summary>
    Note = 4,

    /// <summary>PT_PHDR.</summary>
    ProgramHeaders = 6,

    /// <summary>PT_TLS.</summary>
    ThreadLocalStorage = 7,

    /// <summary>PT_GNU_EH_FRAME.</summary>
    GnuEhFrame = 0x6474e550,

    /// <summary>PT_GNU_STACK.</summary>
    GnuStack = 0x6474e551,

    /// <summary>PT_GNU_RELRO.</summary>
    GnuRelro = 0x6474e552,

    /// <summary>PT_GNU_PROPERTY.</summary>
    GnuProperty = 0x6474e553,
}
