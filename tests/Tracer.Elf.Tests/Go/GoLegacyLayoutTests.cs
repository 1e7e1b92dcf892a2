using System.Buffers.Binary;
using System.Text;
using Tracer.Elf.Disassembly;
using Tracer.Elf.Go;

namespace Tracer.Elf.Tests;

/// <summary>
/// Go before 1.18 cannot be installed here, so these images are assembled by hand following the
/// layouts the Go 1.16/1.17 linker writes: pointer-based .go.buildinfo and the 0xFFFFFFFA pclntab.
/// </summary>
public sealed class GoLegacyLayoutTests
{
    private const ulong TextBase = 0x401000;
    private const ulong RodataBase = 0x480000;
    private const ulong DataBase = 0x500000;

    private static readonly byte[] s_sentinelStart = Convert.FromHexString("3077af0c9274080241e1c107e6d618e6");
    private static readonly byte[] s_sentinelEnd = Convert.FromHexString("f932433186182072008242104116d8f2");

    private const string ModInfo = "path\texample.com/legacy\nmod\texample.com/legacy\t(devel)\t\nbuild\t-compiler=gc\n";

    /// <summary>32-byte header with pointers to two Go string headers, then the strings.</summary>
    private static byte[] PointerBuildInfo()
    {
        var data = new byte[0x200];
        var span = data.AsSpan();
        ((byte[])[0xff, .. " Go buildinf:"u8]).CopyTo(span);
        span[14] = 8;
        span[15] = 0;
        BinaryPrimitives.WriteUInt64LittleEndian(span[16..], DataBase + 0x40);
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], DataBase + 0x50);
        var version = "go1.16.15"u8.ToArray();
        var mod = s_sentinelStart.Concat(Encoding.UTF8.GetBytes(ModInfo)).Concat(s_sentinelEnd).ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x40..], DataBase + 0x80);
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x48..], (ulong)version.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x50..], DataBase + 0xa0);
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x58..], (ulong)mod.Length);
        version.CopyTo(span[0x80..]);
        mod.CopyTo(span[0xa0..]);
        return data;
    }

    /// <summary>
    /// A Go 1.16 pclntab for three functions: header (magic, pads, quantum, ptrsize, then nfunc,
    /// nfiles and five table offsets), funcnametab, then the function table of (entry, funcoff)
    /// pairs plus the end PC, then _func records (entry, nameoff).
    /// </summary>
    private static byte[] Go116Pclntab((string Name, ulong Entry)[] functions, ulong end)
    {
        var names = new MemoryStream();
        var nameOffsets = functions.Select(f =>
        {
            int at = (int)names.Length;
            names.Write(Encoding.UTF8.GetBytes(f.Name + "\0"));
            return at;
        }).ToArray();
        int headerSize = 8 + 7 * 8;
        int nameTab = headerSize;
        int funcTab = (int)((nameTab + names.Length + 7) / 8 * 8);
        int funcRecords = funcTab + functions.Length * 16 + 8;
        var data = new byte[funcRecords + functions.Length * 16];
        var span = data.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, GoPclntab.MagicGo116);
        span[6] = 1;
        span[7] = 8;
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], (ulong)functions.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], (ulong)nameTab);
        BinaryPrimitives.WriteUInt64LittleEndian(span[56..], (ulong)funcTab);
        names.ToArray().CopyTo(span[nameTab..]);
        for (int i = 0; i < functions.Length; i++)
        {
            int record = funcRecords + i * 16;
            BinaryPrimitives.WriteUInt64LittleEndian(span[(funcTab + i * 16)..], functions[i].Entry);
            BinaryPrimitives.WriteUInt64LittleEndian(span[(funcTab + i * 16 + 8)..], (ulong)(record - funcTab));
            BinaryPrimitives.WriteUInt64LittleEndian(span[record..], functions[i].Entry);
            BinaryPrimitives.WriteInt32LittleEndian(span[(record + 8)..], nameOffsets[i]);
        }
        BinaryPrimitives.WriteUInt64LittleEndian(span[(funcTab + functions.Length * 16)..], end);
        return data;
    }

    private static readonly (string Name, ulong Entry)[] s_functions =
    [
        ("runtime.mallocgc", TextBase),
        ("runtime.(*mcache).allocLarge", TextBase + 0x40),
        ("main.main", TextBase + 0x80),
    ];

    /// <summary>Text with a RET at the end of each function, so return-site scans have something to find.</summary>
    private static byte[] Text()
    {
        var text = Enumerable.Repeat((byte)0xCC, 0xc0).ToArray();
        foreach (var offset in new[] { 0, 0x40, 0x80 })
        {
            text[offset] = 0x31;
            text[offset + 1] = 0xc0;
            text[offset + 2] = 0xc3;
        }
        return text;
    }

    private static byte[] Image(bool withSections) => TinyElf.Build(
        [
            new(TextBase, ElfSegmentFlags.Read | ElfSegmentFlags.Execute, Text()),
            new(RodataBase, ElfSegmentFlags.Read, Go116Pclntab(s_functions, TextBase + 0xc0)),
            new(DataBase, ElfSegmentFlags.Read | ElfSegmentFlags.Write, PointerBuildInfo()),
        ],
        withSections
            ? [new(".text", TextBase, 0xc0), new(".gopclntab", RodataBase, 0x100), new(".go.buildinfo", DataBase, 0x20)]
            : null);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PointerFormatBuildInfoIsRead(bool withSections)
    {
        using var elf = ElfFile.FromBytes(Image(withSections), "legacy");
        var info = GoBuildInfo.TryRead(elf);
        Assert.NotNull(info);
        Assert.Equal((GoBuildInfoFormat.Pointers, "go1.16.15", DataBase), (info.Format, info.GoVersion, info.Address));
        Assert.Equal(("example.com/legacy", "example.com/legacy", "(devel)"), (info.MainPackagePath, info.ModulePath, info.ModuleVersion));
        Assert.Equal(ModInfo, info.ModuleInfo);
        Assert.Equal([new KeyValuePair<string, string>("-compiler", "gc")], info.Settings);
    }

    [Theory]
    [InlineData(true, GoPclntabLocation.Section)]
    [InlineData(false, GoPclntabLocation.SegmentScan)]
    public void Go116PclntabIsRead(bool withSections, GoPclntabLocation location)
    {
        using var elf = ElfFile.FromBytes(Image(withSections), "legacy");
        var table = GoPclntab.Load(elf);
        Assert.Equal((GoPclntabVersion.Go116, location, RodataBase, TextBase), (table.Version, table.Location, table.Address, table.TextStart));
        Assert.Equal(
            [
                new GoFunction("runtime.mallocgc", TextBase, TextBase + 0x40, false),
                new GoFunction("runtime.(*mcache).allocLarge", TextBase + 0x40, TextBase + 0x80, false),
                new GoFunction("main.main", TextBase + 0x80, TextBase + 0xc0, false),
            ],
            table.Functions);

        var f = elf.FindFunction("runtime.(*mcache).allocLarge");
        Assert.Equal((FunctionSource.Pclntab, TextBase + 0x40, TextBase + 0x80, 0x1040UL), (f.Source, f.Start, f.End, f.StartFileOffset));
        var scan = ReturnSites.Find(elf, f);
        Assert.Equal([new ReturnSite(TextBase + 0x42, 0x1042, 1, false)], scan.Sites);
        Assert.Equal(FunctionSizeSource.PclntabNextEntry, scan.SizeSource);
        Assert.False(scan.HitInvalidInstructions);
    }

    [Fact]
    public void TruncatedPclntabIsAFormatError()
    {
        var pclntab = Go116Pclntab(s_functions, TextBase + 0xc0);
        var image = TinyElf.Build(
            [new(TextBase, ElfSegmentFlags.Read | ElfSegmentFlags.Execute, Text()), new(RodataBase, ElfSegmentFlags.Read, pclntab[..100])],
            [new(".gopclntab", RodataBase, 100)]);
        using var elf = ElfFile.FromBytes(image, "cut");
        var e = Assert.Throws<GoFormatException>(() => GoPclntab.Load(elf));
        Assert.Equal("cut: pclntab in section .gopclntab: read of 8 bytes at 0x78 is past the table end (0x64)", e.Message);
    }

    [Fact]
    public void TruncatedInlineBuildInfoIsAFormatError()
    {
        var data = new byte[48];
        ((byte[])[0xff, .. " Go buildinf:"u8]).CopyTo(data, 0);
        data[14] = 8;
        data[15] = 2;
        data[32] = 40;
        var image = TinyElf.Build([new(DataBase, ElfSegmentFlags.Read | ElfSegmentFlags.Write, data)], [new(".go.buildinfo", DataBase, 48)]);
        using var elf = ElfFile.FromBytes(image, "cut");
        var e = Assert.Throws<GoFormatException>(() => GoBuildInfo.TryRead(elf));
        Assert.Equal("cut: .go.buildinfo at 0x500000 has a 40-byte string but only 15 bytes follow", e.Message);
    }
}
