using System.Buffers.Binary;
using Tracer.Elf.Disassembly;
using Tracer.Elf.Go;

namespace Tracer.Elf.Tests;

/// <summary>
/// The pclntab and module readers against the real binaries of the Go matrix (`make go-matrix`: Go 1.19, 1.22,
/// 1.24, 1.26, 1.27 from Debian, plain, -s -w, PIE and cgo) and the npm release binaries (`make go-release`), and
/// against copies of them with parts removed: section headers, the module descriptor, the build info.
/// </summary>
public class GoMatrixLayoutTests
{
    private static readonly string[] s_targets =
        ["runtime.mallocgc", "runtime.(*mcache).allocLarge", "runtime.stopTheWorldWithSema", "runtime.startTheWorldWithSema"];

    public static TheoryData<string, string> Cells() => Tracer.TestSupport.GoMatrix.Cells();

    public static TheoryData<string> Releases() => new(
        "@bufbuild/buf-linux-x64/bin/buf",
        "lefthook-linux-x64/bin/lefthook");

    internal static string Root => Repository.Root;

    private static string Matrix(string version, string mode) => Path.Combine(Root, "build", "go-matrix", $"go{version}", $"gomatrix-{mode}");

    private static string Release(string relative) => Path.Combine(Root, "build", "go-release", "node_modules", relative);

    [Theory]
    [MemberData(nameof(Cells))]
    public void TheLayoutAndTextBaseOfEachReleaseAreRead(string version, string mode)
    {
        using var elf = OpenExisting(Matrix(version, mode));
        var table = GoPclntab.Load(elf);
        Assert.Equal(GoPclntabLocation.Section, table.Location);
        Assert.Equal(version == "1.19" ? GoPclntabVersion.Go118 : GoPclntabVersion.Go120, table.Version);

        uint headerTextStart = BinaryPrimitives.ReadUInt32LittleEndian(elf.ReadBytes(table.Address + 8 + 2 * 8, 4).Span);
        bool relative = version is "1.26" or "1.27";
        // Go 1.26 stopped writing textStart; the base then comes from runtime.firstmoduledata in .go.module.
        Assert.Equal(relative, headerTextStart == 0);
        Assert.Equal(relative, table.ModuleData is not null);
        if (table.ModuleData is { } module)
        {
            Assert.Equal(elf.FindSection(".go.module")!.Address, module.Address);
            Assert.Equal(table.Address, module.PcHeader);
            Assert.Equal(module.Text, table.TextStart);
        }
        // With external linking C code comes first: Go's text does not start at .text.
        var text = elf.FindSection(".text")!;
        Assert.Equal(mode == "cgo", table.TextStart != text.Address);
        Assert.Equal(table.TextStart, table.Functions[0].Entry);
        Assert.All(table.Functions, f => Assert.InRange(f.Entry, text.Address, text.Address + text.Size));

        foreach (var name in s_targets)
        {
            Assert.True(table.TryFindFunction(name, out var f), name);
            var location = elf.FindFunction(name);
            Assert.Equal(f.Entry, location.Start);
            Assert.NotNull(ProbeSafety.Verify(elf, location, out string? reason));
            Assert.Null(reason);
        }
    }

    [Theory]
    [InlineData("1.19")]
    [InlineData("1.22")]
    [InlineData("1.24")]
    [InlineData("1.26")]
    [InlineData("1.27")]
    public void EveryPclntabEntryAgreesWithTheSymbolTable(string version)
    {
        using var elf = OpenExisting(Matrix(version, "plain"));
        var table = GoPclntab.Load(elf);
        var symbols = elf.Symbols;
        int compared = 0;
        foreach (var f in table.Functions)
        {
            var matches = symbols.Lookup(f.Name).Where(s => s.IsFunction && s.IsDefined).ToList();
            if (matches.Count != 1 || table.Functions.Count(g => g.Name == f.Name) != 1)
                continue;
            Assert.True(matches[0].Value == f.Entry, $"{f.Name}: .symtab 0x{matches[0].Value:x}, pclntab 0x{f.Entry:x}");
            compared++;
        }
        Assert.True(compared > table.Functions.Count * 8 / 10, $"{compared} of {table.Functions.Count} compared");
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void WithoutSectionHeadersTheModuleDescriptorLeadsToTheTable(string version, string mode)
    {
        string original = Matrix(version, mode);
        using var dir = new TempDirectory("alloclat-elf-matrix-");
        var bytes = File.ReadAllBytes(Existing(original));
        IReadOnlyList<GoFunction> expected;
        ulong moduleOffset;
        using (var elf = ElfFile.Open(original))
        {
            var table = GoPclntab.Load(elf);
            expected = table.Functions;
            var module = GoModuleData.Find(elf, table.Address, out _)!;
            moduleOffset = elf.VirtualAddressToFileOffset(module.Address);
        }

        string noSections = dir.File("no-sections");
        File.WriteAllBytes(noSections, WithoutSectionHeaders(bytes));
        using (var elf = ElfFile.Open(noSections))
        {
            Assert.Empty(elf.Sections);
            var table = GoPclntab.Load(elf);
            Assert.Equal(GoPclntabLocation.ModuleData, table.Location);
            Assert.Equal(expected, table.Functions);
            Assert.NotNull(ProbeSafety.Verify(elf, elf.FindFunction("runtime.stopTheWorldWithSema"), out _));
        }

        // With the descriptor's pointer gone too, only the magic search is left: enough up to Go 1.25, whose
        // header has the text base; from 1.26 the base is unknown and the reason says so.
        var broken = WithoutSectionHeaders(bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(broken.AsSpan((int)moduleOffset), 0);
        string noModule = dir.File("no-module");
        File.WriteAllBytes(noModule, broken);
        using (var elf = ElfFile.Open(noModule))
        {
            bool found = GoPclntab.TryLoad(elf, out var table, out string? failure);
            if (version is "1.26" or "1.27")
            {
                Assert.False(found);
                Assert.Contains("no pclntab header", failure);
            }
            else
            {
                Assert.True(found, failure);
                Assert.Equal(GoPclntabLocation.SegmentScan, table!.Location);
                Assert.Equal(expected, table.Functions);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Releases))]
    public void ReleaseBinariesFromNpmAreRead(string relative)
    {
        using var elf = OpenExisting(Release(relative));
        Assert.False(elf.Symbols.HasSymtab);
        var info = GoBuildInfo.TryRead(elf)!;
        Assert.StartsWith("go1.27.", info.GoVersion);
        Assert.Equal(info.GoVersion, GoBuildVersion.TryRead(elf, out _));

        var table = GoPclntab.Load(elf);
        Assert.Equal((GoPclntabLocation.Section, GoPclntabVersion.Go120), (table.Location, table.Version));
        Assert.Equal(elf.FindSection(".go.module")!.Address, table.ModuleData!.Address);
        ulong nfunc = BinaryPrimitives.ReadUInt64LittleEndian(elf.ReadBytes(table.Address + 8, 8).Span);
        Assert.Equal(nfunc, (ulong)table.Functions.Count);
        Assert.Equal(elf.FindSection(".text")!.Address, table.TextStart);
        foreach (var name in s_targets.Append("runtime.mallocgcLarge"))
        {
            var f = elf.FindFunction(name);
            Assert.Equal(FunctionSource.Pclntab, f.Source);
            var scan = ProbeSafety.Verify(elf, f, out string? reason);
            Assert.True(scan is not null, reason);
            Assert.NotEmpty(scan.Sites);
        }
    }

    [Theory]
    [InlineData("1.22", "stripped")]
    [InlineData("1.27", "pie")]
    [InlineData("1.27", "cgo")]
    public void WithTheBuildInfoZeroedTheVersionComesFromTheRuntime(string version, string mode)
    {
        string original = Matrix(version, mode);
        using var dir = new TempDirectory("alloclat-elf-nobuildinfo-");
        var bytes = File.ReadAllBytes(Existing(original));
        string expected;
        using (var elf = ElfFile.Open(original))
        {
            expected = GoBuildInfo.TryRead(elf)!.GoVersion;
            var section = elf.FindSection(".go.buildinfo")!;
            Array.Clear(bytes, (int)section.Offset, (int)section.Size);
        }
        Assert.StartsWith($"go{version}.", expected);
        string copy = dir.File("zeroed");
        File.WriteAllBytes(copy, bytes);
        using var zeroed = ElfFile.Open(copy);
        Assert.Null(GoBuildInfo.TryRead(zeroed));
        Assert.Equal(expected, GoBuildVersion.TryRead(zeroed, out string where));
        Assert.Equal("runtime.buildVersion", where);
    }

    [Fact]
    public void AnEntryOneByteOffIsRefused()
    {
        using var elf = OpenExisting(Matrix("1.27", "pie"));
        var f = elf.FindFunction("runtime.mallocgcLarge");
        var shifted = f with { Start = f.Start + 1, StartFileOffset = f.StartFileOffset + 1 };
        Assert.Null(ProbeSafety.Verify(elf, shifted, out string? reason));
        Assert.Contains("is not a function entry in the pclntab", reason);
    }

    private static ElfFile OpenExisting(string path) => ElfFile.Open(Existing(path));

    private static string Existing(string path)
    {
        Assert.True(File.Exists(path), $"{path} is missing: `make go-matrix go-release` builds and installs it");
        return path;
    }

    private static byte[] WithoutSectionHeaders(byte[] image)
    {
        var copy = (byte[])image.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(0x28), 0); // e_shoff
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(0x3c), 0); // e_shnum
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(0x3e), 0); // e_shstrndx
        return copy;
    }
}
