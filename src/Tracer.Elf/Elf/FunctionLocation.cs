namespace Tracer.Elf;

/// <summary>A function's address range in an ELF file and how it was found.</summary>
/// <param name="Name">The name looked up.</param>
/// <param name="Start">Entry virtual address.</param>
/// <param name="End">Exclusive end virtual address.</param>
/// <param name="StartFileOffset">File offset of <paramref name="Start"/>: what a uprobe is attached at.</param>
/// <param name="Source">Which table supplied the entry.</param>
/// <param name="SizeSource">Which table supplied the end.</param>
/// <param name="Symbol">The ELF symbol when Source is Symtab or Dynsym.</param>
public sealed record FunctionLocation(
    string Name,
    ulong Start,
    ulong End,
    ulong StartFileOffset,
    FunctionSource Source,
    FunctionSizeSource SizeSource,
    ElfSymbol? Symbol)
{
    /// <summary>End minus Start.</summary>
    public ulong Size => End - Start;
}
