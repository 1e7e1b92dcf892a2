using System.Buffers.Binary;

namespace Tracer.Elf.Go;

/// <summary>
/// The fixed header of a pclntab (<c>runtime.pcHeader</c>): magic, pointer size, function count, the text base
/// (1.18+; 0 from Go 1.26 on) and the offsets of its sub-tables, read without parsing the functions.
/// </summary>
internal readonly record struct GoPclntabHeader(uint Magic, ulong FunctionCount, ulong TextStart, ulong FuncNameOffset, ulong PclnOffset)
{
    private const int Size = 8 + 8 * 8;

    /// <summary>Reads a 64-bit header at <paramref name="vaddr"/>; false when none of the known layouts is there.</summary>
    public static bool TryRead(ElfFile elf, ulong vaddr, out GoPclntabHeader header)
    {
        header = default;
        ReadOnlySpan<byte> b;
        try
        {
            b = elf.ReadBytes(vaddr, Size).Span;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(b);
        if (magic is not (GoPclntab.MagicGo116 or GoPclntab.MagicGo118 or GoPclntab.MagicGo120) || b[4] != 0 || b[5] != 0 || b[7] != 8)
            return false;
        Span<ulong> w = stackalloc ulong[8];
        for (int i = 0; i < w.Length; i++)
            w[i] = BinaryPrimitives.ReadUInt64LittleEndian(b[(8 + 8 * i)..]);
        header = magic == GoPclntab.MagicGo116
            ? new GoPclntabHeader(magic, w[0], 0, w[2], w[6])
            : new GoPclntabHeader(magic, w[0], w[2], w[3], w[7]);
        return true;
    }
}
