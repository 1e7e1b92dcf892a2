using Iced.Intel;
using Tracer.Elf.Go;

namespace Tracer.Elf.Disassembly;

/// <summary>
/// What must hold before a uprobe goes on a Go function: a probe written anywhere but the first byte of an
/// instruction corrupts the target's code. The entry must be one that the function table (pclntab) and the symbol
/// table agree on, the decoder must reach it as an instruction boundary when decoding on from the function before
/// it, and the whole function must decode, with no invalid instruction and none running past its end.
/// </summary>
public static class ProbeSafety
{
    /// <summary>
    /// Checks <paramref name="function"/> and returns its full decoding (with its RET sites), or null with
    /// <paramref name="reason"/> saying why no probe may be placed on it.
    /// </summary>
    public static ReturnSiteScan? Verify(ElfFile elf, FunctionLocation function, out string? reason)
    {
        var table = elf.Pclntab.Table;
        GoFunction? previous = null;
        if (table is not null)
        {
            var inTable = table.FindFunctionContaining(function.Start);
            if (inTable is null || inTable.Entry != function.Start)
            {
                reason = inTable is null
                    ? $"{function.Name} at 0x{function.Start:x} is in no function of the pclntab"
                    : $"{function.Name} at 0x{function.Start:x} is not a function entry in the pclntab ({inTable.Name} starts at 0x{inTable.Entry:x})";
                return null;
            }
            if (function.Start > 0 && table.FindFunctionContaining(function.Start - 1) is { } before && before.End == function.Start)
                previous = before;
        }

        if (previous is not null && !DecodesUpTo(elf, previous.Entry, function.Start, out ulong stop))
        {
            reason = $"decoding from the previous function {previous.Name} (0x{previous.Entry:x}) does not reach " +
                $"{function.Name}'s entry 0x{function.Start:x} on an instruction boundary (stopped at 0x{stop:x})";
            return null;
        }

        ReturnSiteScan scan;
        try
        {
            scan = ReturnSites.Find(elf, function);
        }
        catch (ArgumentOutOfRangeException e)
        {
            reason = $"{function.Name} [0x{function.Start:x}, 0x{function.End:x}) cannot be read: {e.Message}";
            return null;
        }
        if (scan.HitInvalidInstructions)
        {
            reason = $"{function.Name} [0x{function.Start:x}, 0x{function.End:x}) does not decode: invalid instruction at 0x{scan.InvalidInstructionAddresses[0]:x}";
            return null;
        }
        reason = null;
        return scan;
    }

    /// <summary>Decodes [start, end) and reports whether every instruction is valid and the last one ends exactly at end.</summary>
    private static bool DecodesUpTo(ElfFile elf, ulong start, ulong end, out ulong stop)
    {
        stop = start;
        ReadOnlyMemory<byte> code;
        try
        {
            code = elf.ReadBytes(start, checked((int)(end - start)));
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or OverflowException)
        {
            return false;
        }
        var decoder = Decoder.Create(64, new MemoryCodeReader(code), start, DecoderOptions.None);
        while (decoder.IP < end)
        {
            decoder.Decode(out var instruction);
            if (instruction.IsInvalid || instruction.NextIP > end)
            {
                stop = instruction.IP;
                return false;
            }
        }
        stop = decoder.IP;
        return decoder.IP == end;
    }
}
