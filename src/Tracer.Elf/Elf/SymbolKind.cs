namespace Tracer.Elf;

/// <summary>Symbol type (lower nibble of <c>st_info</c>).</summary>
public enum SymbolKind : byte
{
    /// <summary>STT_NOTYPE.</summary>
    NoType = 0,

    /// <summary>STT_OBJECT.</summary>
    Object = 1,

    /// <summary>STT_FUNC.</summary>
    Function = 2,

    /// <summary>STT_SECTION.</summary>
    Section = 3,

    /// <summary>STT_FILE.</summary>
    File = 4,

    /// <summary>STT_COMMON.</summary>
    Common = 5,

    /// <summary>STT_TLS.</summary>
    Tls = 6,

    /// <summary>
    /// STT_GNU_IFUNC: the address is a resolver that returns the real implementation at load time
    /// (glibc's memcpy/strlen family). Probing it probes the resolver, not the function.
    /// </summary>
    IndirectFunction = 10,
}
