using System.Buffers.Binary;

namespace Tracer.Elf;

/// <summary>The fields of the ELF64 file header this library needs, validated for x86-64 little-endian.</summary>
internal sealed record ElfHeader(
    ElfType Type,
    ushort Machine,
    ulong Entry,
    ulong ProgramHeaderOffset,
    ulong SectionHeaderOffset,
    ushort ProgramHeaderEntrySize,
    ushort ProgramHeaderCount,
    ushort SectionHeaderEntrySize,
    ushort SectionHeaderCount,
    ushort SectionNameIndex)
{
    public const int Size = 64;
    public const ushort MachineX86_64 = 62;

    /// <summary>
    /// Checks identification bytes in the order a reader would want them explained: is it ELF at all,
    /// then class, byte order and machine, so each rejection names the first thing that is wrong.
    /// </summary>
    public static ElfHeader Parse(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < 4 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new ElfFormatException($"{name}: not an ELF file");
        if (bytes.Length < 6)
            throw new ElfFormatException($"{name}: truncated ELF header ({bytes.Length} bytes)");
        switch (bytes[4])
        {
            case 1: throw new ElfFormatException($"{name}: 32-bit ELF not supported");
            case 2: break;
            default: throw new ElfFormatException($"{name}: invalid ELF class {bytes[4]}");
        }
        switch (bytes[5])
        {
            case 1: break;
            case 2: throw new ElfFormatException($"{name}: big-endian ELF not supported");
            default: throw new ElfFormatException($"{name}: invalid ELF data encoding {bytes[5]}");
        }
        if (bytes.Length < Size)
            throw new ElfFormatException($"{name}: truncated ELF header ({bytes.Length} bytes, need {Size})");

        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(bytes[18..]);
        if (machine != MachineX86_64)
            throw new ElfFormatException($"{name}: not x86-64 (machine={machine}{MachineSuffix(machine)})");

        return new ElfHeader(
            (ElfType)BinaryPrimitives.ReadUInt16LittleEndian(bytes[16..]),
            machine,
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[32..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[40..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[54..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[56..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[58..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[60..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[62..]));
    }

    private static string MachineSuffix(ushort machine) => machine switch
    {
        3 => ", EM_386",
        8 => ", EM_MIPS",
        20 => ", EM_PPC",
        21 => ", EM_PPC64",
        22 => ", EM_S390",
        40 => ", EM_ARM",
        183 => ", EM_AARCH64",
        243 => ", EM_RISCV",
        _ => "",
    };
}
