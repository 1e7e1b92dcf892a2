namespace Tracer.Elf.Go;

/// <summary>A function from the Go pclntab.</summary>
/// <param name="Name">Fully qualified Go symbol name, e.g. <c>runtime.(*mcache).allocLarge</c>.</param>
/// <param name="Entry">Entry virtual address.</param>
/// <param name="End">
/// Entry of the next function in the table (or the table's end PC for the last one). This
/// includes the alignment padding after the function's last instruction.
/// </param>
/// <param name="IsAssembly">
/// True when the runtime marks the function as hand-written assembly (funcFlag_ASM, Go 1.19+).
/// Such an ABI0 body shares its pclntab name with the Go-ABI wrapper that calls it; .symtab tells
/// them apart with a <c>.abi0</c> suffix on the assembly one.
/// </param>
public sealed record GoFunction(string Name, ulong Entry, ulong End, bool IsAssembly)
{
    /// <summary>End minus Entry.</summary>
    public ulong Size => End - Entry;
}
