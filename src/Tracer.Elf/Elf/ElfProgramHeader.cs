namespace Tracer.Elf;

/// <summary>One program header (segment).</summary>
/// <param name="Index">Position in the program header table.</param>
/// <param name="Type">p_type.</param>
/// <param name="Flags">p_flags.</param>
/// <param name="Offset">p_offset: where the segment's bytes start in the file.</param>
/// <param name="VirtualAddress">p_vaddr.</param>
/// <param name="PhysicalAddress">p_paddr.</param>
/// <param name="FileSize">p_filesz: bytes backed by the file.</param>
/// <param name="MemorySize">p_memsz: bytes in memory (the tail past FileSize is zero-filled).</param>
/// <param name="Alignment">p_align.</param>
public sealed record ElfProgramHeader(
    int Index,
    ElfSegmentType Type,
    ElfSegmentFlags Flags,
    ulong Offset,
    ulong VirtualAddress,
    ulong PhysicalAddress,
    ulong FileSize,
    ulong MemorySize,
    ulong Alignment)
{
    /// <summary>True when <paramref name="vaddr"/> lies in the file-backed part of the segment.</summary>
    public bool ContainsFileBackedAddress(ulong vaddr) =>
        vaddr >= VirtualAddress && vaddr - VirtualAddress < FileSize;

    /// <summary>True when <paramref name="offset"/> lies in the file range of the segment.</summary>
    public bool ContainsFileOffset(ulong offset) => offset >= Offset && offset - Offset < FileSize;
}
