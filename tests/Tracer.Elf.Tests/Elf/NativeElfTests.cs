using Tracer.Elf.Disassembly;
using Tracer.Elf.Go;

namespace Tracer.Elf.Tests;

public sealed class NativeElfTests(NativeFixture native) : IClassFixture<NativeFixture>
{
    public static TheoryData<string> Binaries => new() { "lib", "runpath", "rpath", "plain", "jemalloc", "stripped" };

    private string PathOf(string key) => key switch
    {
        "lib" => native.Library,
        "runpath" => native.RunpathProgram,
        "rpath" => native.RpathProgram,
        "plain" => native.PlainProgram,
        "jemalloc" => native.JemallocProgram,
        _ => native.StrippedProgram,
    };

    [Theory]
    [MemberData(nameof(Binaries))]
    public void SectionsMatchReadelf(string key)
    {
        string path = PathOf(key);
        using var elf = ElfFile.Open(path);
        var expected = ToolOutput.ReadelfSections(path);
        Assert.NotEmpty(expected);
        Assert.Equal(
            expected.Select(s => (s.Index, s.Name, s.Address, s.Offset, s.Size)),
            elf.Sections.Select(s => (s.Index, s.Name, s.Address, s.Offset, s.Size)));
    }

    [Theory]
    [MemberData(nameof(Binaries))]
    public void ProgramHeadersMatchReadelf(string key)
    {
        string path = PathOf(key);
        using var elf = ElfFile.Open(path);
        var expected = ToolOutput.ReadelfSegments(path);
        Assert.Equal(expected.Count, elf.ProgramHeaders.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = elf.ProgramHeaders[i];
            Assert.Equal((e.Offset, e.VirtAddr, e.PhysAddr, e.FileSize, e.MemSize, e.Align), (a.Offset, a.VirtualAddress, a.PhysicalAddress, a.FileSize, a.MemorySize, a.Alignment));
            string flags = ((a.Flags & ElfSegmentFlags.Read) != 0 ? "R" : "") + ((a.Flags & ElfSegmentFlags.Write) != 0 ? "W" : "") + ((a.Flags & ElfSegmentFlags.Execute) != 0 ? "E" : "");
            Assert.Equal(e.Flags, flags);
            if (e.Type == "LOAD")
                Assert.Equal(ElfSegmentType.Load, a.Type);
        }
        Assert.Equal(expected.Count(s => s.Type == "LOAD"), elf.LoadSegments.Count);
    }

    [Theory]
    [MemberData(nameof(Binaries))]
    public void FunctionSymbolsMatchReadelfInBothTables(string key)
    {
        string path = PathOf(key);
        using var elf = ElfFile.Open(path);
        foreach (var (table, source) in new[] { (".symtab", SymbolSource.Symtab), (".dynsym", SymbolSource.Dynsym) })
        {
            var expected = ToolOutput.ReadelfSymbols(path)
                .Where(s => s.Table == table && s.Type is "FUNC" or "IFUNC" && s.Ndx != "UND")
                .Select(s => (s.Name, s.Value, s.Size, s.Bind, s.Type == "IFUNC", s.Version, s.Version is null || s.DefaultVersion))
                .ToList();
            var actual = elf.Symbols.Functions
                .Where(s => s.Source == source && s.IsDefined)
                .Select(s => (s.Name, s.Value, s.Size, s.Binding.ToString().ToUpperInvariant(), s.IsIndirectFunction, s.Version, s.IsDefaultVersion))
                .ToList();
            Assert.Equal(expected, actual);
        }
        Assert.Equal(key != "stripped", elf.Symbols.HasSymtab);
    }

    [Fact]
    public void LibraryVersionsIfuncAndBindingsAreExact()
    {
        using var elf = ElfFile.Open(native.Library);
        var compat = elf.Symbols.Lookup("lib_compat").Where(s => s.Source == SymbolSource.Dynsym).OrderBy(s => s.Version).ToList();
        Assert.Equal(["LIBALLOC_1.0", "LIBALLOC_2.0"], compat.Select(s => s.Version!));
        Assert.Equal([false, true], compat.Select(s => s.IsDefaultVersion));
        Assert.Equal(["lib_compat@LIBALLOC_1.0", "lib_compat@@LIBALLOC_2.0"], compat.Select(s => s.VersionedName));

        Assert.True(elf.Symbols.TryGetDefinedFunction("lib_compat", out var preferred));
        Assert.Equal("LIBALLOC_2.0", preferred.Version);
        Assert.True(elf.Symbols.TryGetDefinedFunction("lib_compat@LIBALLOC_1.0", out var old));
        Assert.Equal(compat[0].Value, old.Value);
        Assert.NotEqual(compat[0].Value, compat[1].Value);

        Assert.True(elf.Symbols.TryGetDefinedFunction("lib_double", out var ifunc));
        Assert.True(ifunc.IsIndirectFunction);
        Assert.True(elf.Symbols.TryGetDefinedFunction("lib_weak", out var weak));
        Assert.Equal(SymbolBinding.Weak, weak.Binding);
        var helper = Assert.Single(elf.Symbols.Lookup("helper"));
        Assert.Equal((SymbolBinding.Local, SymbolSource.Symtab), (helper.Binding, helper.Source));

        var nm = ToolOutput.NmDynamic(native.Library).Where(s => s.Name == "lib_alloc").ToList();
        Assert.Equal(nm.Single().Address, elf.FindFunction("lib_alloc").Start);
    }

    [Theory]
    [MemberData(nameof(Binaries))]
    public void FileOffsetsMatchObjdumpForEveryFunction(string key)
    {
        string path = PathOf(key);
        using var elf = ElfFile.Open(path);
        var expected = ToolOutput.ObjdumpFunctionOffsets(path);
        Assert.NotEmpty(expected);
        foreach (var (name, address, offset) in expected)
        {
            Assert.Equal((name, offset), (name, elf.VirtualAddressToFileOffset(address)));
            Assert.Equal((name, address), (name, elf.FileOffsetToVirtualAddress(offset)));
        }
    }

    [Fact]
    public void NonPieExecutableTranslatesThroughItsLoadBase()
    {
        using var elf = ElfFile.Open(native.RpathProgram);
        Assert.Equal(ElfType.Executable, elf.Type);
        var main = elf.FindFunction("main");
        var objdump = ToolOutput.ObjdumpFunctionOffsets(native.RpathProgram).Single(f => f.Name == "main");
        Assert.Equal(objdump.Address, main.Start);
        Assert.Equal(objdump.FileOffset, main.StartFileOffset);
        Assert.NotEqual(main.Start, main.StartFileOffset);

        var body = elf.ReadBytes(main.Start, (int)main.Size).ToArray();
        var fromFile = File.ReadAllBytes(native.RpathProgram).AsSpan((int)objdump.FileOffset, (int)main.Size).ToArray();
        Assert.Equal(fromFile, body);
        Assert.Throws<ArgumentOutOfRangeException>(() => elf.VirtualAddressToFileOffset(0x10));
    }

    [Theory]
    [MemberData(nameof(Binaries))]
    public void BuildIdMatchesReadelf(string key)
    {
        string path = PathOf(key);
        using var elf = ElfFile.Open(path);
        string? expected = ToolOutput.ReadelfBuildId(path);
        Assert.NotNull(expected);
        Assert.Equal(expected, elf.BuildId);
    }

    [Theory]
    [MemberData(nameof(Binaries))]
    public void DynamicSectionMatchesReadelf(string key)
    {
        string path = PathOf(key);
        using var elf = ElfFile.Open(path);
        var dyn = ToolOutput.ReadelfDynamic(path);
        static string Bracketed(string v) => v[(v.IndexOf('[') + 1)..v.LastIndexOf(']')];
        Assert.Equal(dyn.Where(d => d.Tag == "NEEDED").Select(d => Bracketed(d.Value)), elf.Dynamic.Needed);
        Assert.Equal(dyn.Where(d => d.Tag == "SONAME").Select(d => Bracketed(d.Value)).SingleOrDefault(), elf.Dynamic.Soname);
        Assert.Equal(dyn.Where(d => d.Tag == "RPATH").Select(d => Bracketed(d.Value)).SingleOrDefault(), elf.Dynamic.Rpath);
        Assert.Equal(dyn.Where(d => d.Tag == "RUNPATH").Select(d => Bracketed(d.Value)).SingleOrDefault(), elf.Dynamic.Runpath);
        Assert.True(elf.Dynamic.IsDynamic);
    }

    [Fact]
    public void DynamicSectionHasTheExpectedLiterals()
    {
        using var lib = ElfFile.Open(native.Library);
        using var runpath = ElfFile.Open(native.RunpathProgram);
        using var rpath = ElfFile.Open(native.RpathProgram);
        Assert.Equal(ElfType.SharedObject, lib.Type);
        Assert.Equal("liballoc.so.1", lib.Dynamic.Soname);
        Assert.Equal(["libc.so.6"], lib.Dynamic.Needed);
        Assert.Equal(["liballoc.so.1", "libc.so.6"], runpath.Dynamic.Needed);
        Assert.Equal(("$ORIGIN/../lib", (string?)null), (runpath.Dynamic.Runpath, runpath.Dynamic.Rpath));
        Assert.Equal(((string?)null, "$ORIGIN/../lib"), (rpath.Dynamic.Runpath, rpath.Dynamic.Rpath));
        Assert.Equal("/lib64/ld-linux-x86-64.so.2", runpath.Interpreter);
        Assert.Null(lib.Interpreter);
    }

    [Fact]
    public void ReturnSitesOfCFunctionsMatchObjdump()
    {
        using var elf = ElfFile.Open(native.RunpathProgram);
        int total = 0;
        foreach (var name in new[] { "main", "prog_step" })
        {
            var f = elf.FindFunction(name);
            Assert.Equal((FunctionSource.Symtab, FunctionSizeSource.SymbolSize), (f.Source, f.SizeSource));
            var scan = ReturnSites.Find(elf, f);
            Assert.False(scan.HitInvalidInstructions);
            var expected = ToolOutput.ObjdumpReturns(native.RunpathProgram, f.Start, f.End);
            Assert.Equal(expected, scan.Sites.Select(s => s.Address));
            Assert.Equal(expected.Select(a => elf.VirtualAddressToFileOffset(a)), scan.Sites.Select(s => s.FileOffset));
            Assert.Equal(ToolOutput.ObjdumpInstructionCount(native.RunpathProgram, f.Start, f.End), scan.InstructionCount);
            total += expected.Count;
        }
        Assert.True(total >= 2, $"expected at least one ret per function, found {total}");
    }

    [Fact]
    public void StrippedCProgramExplainsWhyAFunctionIsMissing()
    {
        using var elf = ElfFile.Open(native.StrippedProgram);
        Assert.False(elf.Symbols.HasSymtab);
        var e = Assert.Throws<FunctionNotFoundException>(() => elf.FindFunction("prog_step"));
        Assert.Equal(
            $"{native.StrippedProgram}: function 'prog_step' not found: no .symtab (stripped); .dynsym has no defined function 'prog_step'; " +
            "Go pclntab missing: no .gopclntab section, no .symtab to find runtime.pcheader in, no runtime.firstmoduledata pointing at one, and no pclntab header (magic 0xFFFFFFF0/0xFFFFFFF1/0xFFFFFFFA) in any PT_LOAD segment",
            e.Message);
        Assert.Equal("prog_step", e.FunctionName);
        Assert.Null(GoBuildInfo.TryRead(elf));
    }
}
