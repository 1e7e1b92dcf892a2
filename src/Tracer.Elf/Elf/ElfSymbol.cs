namespace Tracer.Elf;

/// <summary>One symbol with a non-empty name.</summary>
/// <param name="Name">Name without any version suffix (<c>malloc</c>, never <c>malloc@@GLIBC_2.2.5</c>).</param>
/// <param name="Version">Symbol version (<c>GLIBC_2.2.5</c>) from .gnu.version or from an <c>@</c> suffix in the name; null when unversioned.</param>
/// <param name="IsDefaultVersion">
/// True unless the version is hidden (<c>name@VER</c> rather than <c>name@@VER</c>), i.e. true for the
/// version a newly linked program would bind to, and for unversioned symbols.
/// </param>
/// <param name="Value">st_value: the virtual address for defined functions in executables and shared objects.</param>
/// <param name="Size">st_size in bytes (0 when the producer did not record one).</param>
/// <param name="Kind">Symbol type.</param>
/// <param name="Binding">Symbol binding.</param>
/// <param name="Visibility">st_other visibility (0 default, 1 internal, 2 hidden, 3 protected).</param>
/// <param name="SectionIndex">st_shndx (0 = undefined, 0xfff1 = absolute).</param>
/// <param name="Source">Table the symbol was read from.</param>
public sealed record ElfSymbol(
    string Name,
    string? Version,
    bool IsDefaultVersion,
    ulong Value,
    ulong Size,
    SymbolKind Kind,
    SymbolBinding Binding,
    byte Visibility,
    ushort SectionIndex,
    SymbolSource Source)
{
    /// <summary>False for references to symbols another object must provide (st_shndx == SHN_UNDEF).</summary>
    public bool IsDefined => SectionIndex != 0;

    /// <summary>STT_FUNC or STT_GNU_IFUNC.</summary>
    public bool IsFunction => Kind is SymbolKind.Function or SymbolKind.IndirectFunction;

    /// <summary>True for STT_GNU_IFUNC resolvers.</summary>
    public bool IsIndirectFunction => Kind == SymbolKind.IndirectFunction;

    /// <summary>The name as <c>nm -D</c> shows it: <c>name@@VER</c> for a defined default version, <c>name@VER</c> for hidden versions and references, or plain.</summary>
    public string VersionedName => Version is null ? Name : $"{Name}{(IsDefaultVersion && IsDefined ? "@@" : "@")}{Version}";
}
