using Iced.Intel;

namespace Tracer.Elf.Disassembly;

/// <summary>
/// Finds return instructions by decoding a function's machine code. Go forbids uretprobes (the
/// runtime moves goroutine stacks, and a uretprobe's hijacked return address would be copied with
/// them), so "on return" probes go on each RET instead.
/// </summary>
public static class ReturnSites
{
    /// <summary>
    /// Decodes [<paramref name="funcStartVaddr"/>, <paramref name="funcEndVaddr"/>) linearly as 64-bit
    /// code. Linear decoding is exact for Go (no data in text) and for typical C compiler output;
    /// a jump table embedded in text would show up as invalid instructions or spurious sites.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty, reversed or not file-backed.</exception>
    public static ReturnSiteScan Find(ElfFile elf, ulong funcStartVaddr, ulong funcEndVaddr) =>
        Scan(elf, funcStartVaddr, funcEndVaddr, null);

    /// <summary>Decodes the range of a function found by <see cref="ElfFile.FindFunction"/>, recording where its end came from.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The function has no known size or its range is not file-backed.</exception>
    public static ReturnSiteScan Find(ElfFile elf, FunctionLocation function) =>
        Scan(elf, function.Start, function.End, function.SizeSource);

    private static ReturnSiteScan Scan(ElfFile elf, ulong start, ulong end, FunctionSizeSource? sizeSource)
    {
        if (end <= start)
            throw new ArgumentOutOfRangeException(nameof(end), $"empty or reversed function range [0x{start:x}, 0x{end:x})");
        ulong size = end - start;
        if (size > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(end), $"function range [0x{start:x}, 0x{end:x}) is too large");

        var code = elf.ReadBytes(start, (int)size);
        ulong fileStart = elf.VirtualAddressToFileOffset(start);
        var decoder = Decoder.Create(64, new MemoryCodeReader(code), start, DecoderOptions.None);
        var sites = new List<ReturnSite>();
        var invalid = new List<ulong>();
        int count = 0;

        while (decoder.IP < end)
        {
            decoder.Decode(out var instruction);
            count++;
            if (instruction.IsInvalid)
            {
                invalid.Add(instruction.IP);
                continue;
            }
            // An instruction straddling the end belongs to whatever follows, not to this function.
            if (instruction.NextIP > end)
            {
                invalid.Add(instruction.IP);
                break;
            }
            if (instruction.Mnemonic is Mnemonic.Ret or Mnemonic.Retf)
            {
                sites.Add(new ReturnSite(
                    instruction.IP,
                    fileStart + (instruction.IP - start),
                    instruction.Length,
                    instruction.Mnemonic == Mnemonic.Retf));
            }
        }
        return new ReturnSiteScan(start, end, sizeSource, sites, count, invalid);
    }
}
