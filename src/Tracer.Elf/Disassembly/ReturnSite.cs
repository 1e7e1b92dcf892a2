namespace Tracer.Elf.Disassembly;

/// <summary>One return instruction inside a function: a place to put a uprobe standing in for a uretprobe.</summary>
/// <param name="Address">Virtual address of the instruction.</param>
/// <param name="FileOffset">File offset of the instruction (what the uprobe is attached at).</param>
/// <param name="Length">Encoded length in bytes.</param>
/// <param name="IsFar">True for RETF.</param>
public sealed record ReturnSite(ulong Address, ulong FileOffset, int Length, bool IsFar);
