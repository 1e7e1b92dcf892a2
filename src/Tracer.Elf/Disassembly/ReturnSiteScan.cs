namespace Tracer.Elf.Disassembly;

/// <summary>The outcome of linearly decoding one function for return instructions.</summary>
/// <param name="Start">First decoded address.</param>
/// <param name="End">Exclusive end of the decoded range.</param>
/// <param name="SizeSource">Where End came from when the scan was started from a <see cref="FunctionLocation"/>; null for a raw range.</param>
/// <param name="Sites">Every RET/RETF in address order.</param>
/// <param name="InstructionCount">Instructions decoded, invalid ones included.</param>
/// <param name="InvalidInstructionAddresses">
/// Addresses where the decoder found no valid instruction. Non-empty means the range holds data
/// or does not start on an instruction boundary, and the sites may be incomplete or wrong.
/// </param>
public sealed record ReturnSiteScan(
    ulong Start,
    ulong End,
    FunctionSizeSource? SizeSource,
    IReadOnlyList<ReturnSite> Sites,
    int InstructionCount,
    IReadOnlyList<ulong> InvalidInstructionAddresses)
{
    /// <summary>True when any byte sequence failed to decode.</summary>
    public bool HitInvalidInstructions => InvalidInstructionAddresses.Count > 0;
}
