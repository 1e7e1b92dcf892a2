using System.Buffers.Binary;

namespace Tracer.Elf.Tests;

public sealed class ElfHeaderTests : IDisposable
{
    private readonly TempDirectory _dir = new("alloclat-elf-header-");

    public void Dispose() => _dir.Dispose();

    /// <summary>A header-only ELF image: 64 bytes (or 52 for 32-bit) with the given class, byte order and machine.</summary>
    private static byte[] Header(byte elfClass, byte data, ushort machine)
    {
        var bytes = new byte[elfClass == 1 ? 52 : 64];
        bytes[0] = 0x7f;
        bytes[1] = (byte)'E';
        bytes[2] = (byte)'L';
        bytes[3] = (byte)'F';
        bytes[4] = elfClass;
        bytes[5] = data;
        bytes[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(16), 3);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(18), machine);
        return bytes;
    }

    [Fact]
    public void TextFileIsNotElf()
    {
        string path = _dir.Write("notes.txt", "#!/bin/sh\necho this is not an ELF file\n");
        var e = Assert.Throws<ElfFormatException>(() => ElfFile.Open(path));
        Assert.Equal($"{path}: not an ELF file", e.Message);
    }

    [Fact]
    public void EmptyFileIsNotElf()
    {
        string path = _dir.Write("empty", "");
        var e = Assert.Throws<ElfFormatException>(() => ElfFile.Open(path));
        Assert.Equal($"{path}: not an ELF file", e.Message);
    }

    [Fact]
    public void ThirtyTwoBitObjectIsRejected()
    {
        string path = _dir.File("i386.o");
        File.WriteAllBytes(path, Header(1, 1, 3));
        var e = Assert.Throws<ElfFormatException>(() => ElfFile.Open(path));
        Assert.Equal($"{path}: 32-bit ELF not supported", e.Message);
    }

    [Fact]
    public void OtherMachineIsRejectedWithItsNumber()
    {
        var e = Assert.Throws<ElfFormatException>(() => ElfFile.FromBytes(Header(2, 1, 183), "arm64.so"));
        Assert.Equal("arm64.so: not x86-64 (machine=183, EM_AARCH64)", e.Message);
        var unknown = Assert.Throws<ElfFormatException>(() => ElfFile.FromBytes(Header(2, 1, 4242), "odd"));
        Assert.Equal("odd: not x86-64 (machine=4242)", unknown.Message);
    }

    [Fact]
    public void BigEndianIsRejected()
    {
        var e = Assert.Throws<ElfFormatException>(() => ElfFile.FromBytes(Header(2, 2, 62), "be"));
        Assert.Equal("be: big-endian ELF not supported", e.Message);
    }

    [Fact]
    public void TruncatedHeaderIsRejected()
    {
        var e = Assert.Throws<ElfFormatException>(() => ElfFile.FromBytes(Header(2, 1, 62).AsMemory(0, 40), "short"));
        Assert.Equal("short: truncated ELF header (40 bytes, need 64)", e.Message);
    }

    [Fact]
    public void SectionTableBeyondTheFileIsRejected()
    {
        var bytes = Header(2, 1, 62);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(40), 0x1000);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(58), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(60), 1);
        var e = Assert.Throws<ElfFormatException>(() => ElfFile.FromBytes(bytes, "cut"));
        Assert.Equal("cut: section header 0 at file offset 0x1000 (0x40 bytes) runs past the end of the file (0x40 bytes)", e.Message);
        Assert.IsAssignableFrom<FormatException>(e);
    }

    [Fact]
    public void HeaderOnlyImageHasNoTables()
    {
        using var elf = ElfFile.FromBytes(Header(2, 1, 62));
        Assert.Equal(ElfType.SharedObject, elf.Type);
        Assert.Empty(elf.Sections);
        Assert.Empty(elf.ProgramHeaders);
        Assert.Null(elf.BuildId);
        Assert.False(elf.Dynamic.IsDynamic);
        Assert.False(elf.TryVirtualAddressToFileOffset(0x1000, out _));
    }

    [Fact]
    public void CorruptSymbolTableLinkIsAFormatError()
    {
        // One SHT_SYMTAB section whose sh_link names a section that does not exist.
        var bytes = new byte[64 + 64 * 2];
        Header(2, 1, 62).CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(40), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(58), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(60), 2);
        var symtab = bytes.AsSpan(128);
        BinaryPrimitives.WriteUInt32LittleEndian(symtab[4..], 2);
        BinaryPrimitives.WriteUInt32LittleEndian(symtab[40..], 9);
        BinaryPrimitives.WriteUInt64LittleEndian(symtab[56..], 24);
        using var elf = ElfFile.FromBytes(bytes, "badlink");
        var e = Assert.Throws<ElfFormatException>(() => elf.Symbols);
        Assert.Equal("badlink: section [1] links to missing string table section 9", e.Message);
    }
}
