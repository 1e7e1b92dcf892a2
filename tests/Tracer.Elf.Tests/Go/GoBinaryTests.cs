using System.Globalization;
using Tracer.Elf.Disassembly;
using Tracer.Elf.Go;

namespace Tracer.Elf.Tests;

public sealed class GoBinaryTests(GoFixture go) : IClassFixture<GoFixture>
{
    private static readonly string[] s_probeTargets =
    [
        "runtime.(*mcache).allocLarge",
        "runtime.stopTheWorldWithSema",
        "runtime.startTheWorldWithSema",
        "runtime.mallocgc",
        "main.main",
    ];

    /// <summary><c>go tool nm -size</c>: name to (address, size) for text symbols.</summary>
    private Dictionary<string, (ulong Address, ulong Size)> GoToolNm(string path)
    {
        var output = ProcessRunner.Run("/usr/bin/go", ["tool", "nm", "-size", path], environment: go.Environment).Stdout;
        var result = new Dictionary<string, (ulong, ulong)>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            var parts = line.Trim().Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 4 && parts[2] is "T" or "t")
                result.TryAdd(parts[3], (ToolOutput.Hex(parts[0]), ulong.Parse(parts[1], CultureInfo.InvariantCulture)));
        }
        return result;
    }

    [Fact]
    public void BuildInfoMatchesTheToolchainInBothBuilds()
    {
        foreach (var path in new[] { go.Plain, go.Stripped })
        {
            using var elf = ElfFile.Open(path);
            var info = GoBuildInfo.TryRead(elf);
            Assert.NotNull(info);
            Assert.Equal(go.GoVersion, info.GoVersion);
            Assert.Equal("go1.19.8", info.GoVersion);
            Assert.Equal(GoFixture.ModulePath, info.ModulePath);
            Assert.Equal(GoFixture.ModulePath, info.MainPackagePath);
            Assert.Equal("(devel)", info.ModuleVersion);
            Assert.Equal(GoBuildInfoFormat.InlineStrings, info.Format);
            Assert.Equal(elf.FindSection(".go.buildinfo")!.Address, info.Address);

            // go version -m prints the same module info, one tab-indented line per entry.
            var goVersionM = ProcessRunner.Run("/usr/bin/go", ["version", "-m", path], environment: go.Environment).Stdout.Split('\n');
            Assert.Equal($"{path}: {go.GoVersion}", goVersionM[0]);
            var expectedLines = goVersionM.Skip(1).Where(l => l.Length > 0).Select(l => l[1..]).ToList();
            Assert.Equal(expectedLines, info.ModuleInfo.TrimEnd('\n').Split('\n'));
        }
        using var stripped = ElfFile.Open(go.Stripped);
        Assert.Contains(new KeyValuePair<string, string>("-ldflags", "\"-s -w\""), GoBuildInfo.TryRead(stripped)!.Settings);
    }

    /// <summary>
    /// The probe-address comparison between the builds relies on -s -w leaving every function where
    /// it was. Text bytes may differ (instructions addressing data shift with the longer build info),
    /// so the check is on the function table, not the bytes.
    /// </summary>
    [Fact]
    public void BothBuildsPlaceEveryFunctionAtTheSameAddress()
    {
        using var plain = ElfFile.Open(go.Plain);
        using var stripped = ElfFile.Open(go.Stripped);
        var a = plain.FindSection(".text")!;
        var b = stripped.FindSection(".text")!;
        Assert.Equal((a.Address, a.Size, a.Offset), (b.Address, b.Size, b.Offset));
        var plainTable = GoPclntab.Load(plain).Functions;
        var strippedTable = GoPclntab.Load(stripped).Functions;
        Assert.Equal(plainTable, strippedTable);
        Assert.True(plain.Symbols.HasSymtab);
        Assert.False(stripped.Symbols.HasSymtab);
    }

    [Fact]
    public void ProbeTargetsResolveInBothBuildsToGoToolNmAddresses()
    {
        var nm = GoToolNm(go.Plain);
        using var plain = ElfFile.Open(go.Plain);
        using var stripped = ElfFile.Open(go.Stripped);
        foreach (var name in s_probeTargets)
        {
            var (address, size) = nm[name];
            var fromSymtab = plain.FindFunction(name);
            Assert.Equal((name, FunctionSource.Symtab, FunctionSizeSource.SymbolSize), (name, fromSymtab.Source, fromSymtab.SizeSource));
            Assert.Equal((address, address + size), (fromSymtab.Start, fromSymtab.End));

            var fromPclntab = stripped.FindFunction(name);
            Assert.Equal((name, FunctionSource.Pclntab, FunctionSizeSource.PclntabNextEntry), (name, fromPclntab.Source, fromPclntab.SizeSource));
            Assert.Equal(address, fromPclntab.Start);
            Assert.Equal(fromSymtab.StartFileOffset, fromPclntab.StartFileOffset);

            // The pclntab end runs to the next function; the gap after st_size is INT3 padding only.
            Assert.True(fromPclntab.End >= fromSymtab.End);
            var padding = stripped.ReadBytes(fromSymtab.End, (int)(fromPclntab.End - fromSymtab.End)).ToArray();
            Assert.All(padding, b => Assert.Equal(0xCC, b));
        }
    }

    [Fact]
    public void FileOffsetsMatchObjdumpForTheProbeTargets()
    {
        var objdump = ToolOutput.ObjdumpFunctionOffsets(go.Plain).ToDictionary(f => f.Name, f => (f.Address, f.FileOffset));
        using var stripped = ElfFile.Open(go.Stripped);
        foreach (var name in s_probeTargets)
        {
            var f = stripped.FindFunction(name);
            Assert.Equal((name, objdump[name].Address, objdump[name].FileOffset), (name, f.Start, f.StartFileOffset));
        }
    }

    [Fact]
    public void PclntabAgreesWithGoToolNmForEveryFunction()
    {
        var nm = GoToolNm(go.Plain);
        using var stripped = ElfFile.Open(go.Stripped);
        var table = GoPclntab.Load(stripped);
        Assert.Equal((GoPclntabVersion.Go118, GoPclntab.MagicGo118, GoPclntabLocation.Section), (table.Version, table.Magic, table.Location));
        Assert.Equal(stripped.FindSection(".text")!.Address, table.TextStart);
        var nmByAddress = nm.GroupBy(kv => kv.Value.Address).ToDictionary(g => g.Key, g => g.Select(kv => kv.Key).ToList());
        int abi0 = 0, bracketed = 0;
        foreach (var f in table.Functions)
        {
            Assert.True(nmByAddress.TryGetValue(f.Entry, out var atEntry), $"{f.Name}: nothing in go tool nm at 0x{f.Entry:x}");
            // .symtab calls the ABI0 twin "name.abi0" when the linker also knows a Go-ABI symbol
            // of that name; pclntab writes "[...]" for the span between the outer brackets.
            string? symtabName = atEntry.FirstOrDefault(n => n == f.Name)
                ?? atEntry.FirstOrDefault(n => n == f.Name + ".abi0")
                ?? atEntry.FirstOrDefault(n => n.Contains('[') && Collapse(n) == f.Name);
            Assert.True(symtabName is not null, $"{f.Name}: go tool nm has only [{string.Join(", ", atEntry)}] at 0x{f.Entry:x}");
            abi0 += symtabName.EndsWith(".abi0") ? 1 : 0;
            bracketed += symtabName != f.Name && symtabName.Contains('[') ? 1 : 0;
            Assert.True(f.End >= f.Entry + nm[symtabName].Size, symtabName);
            if (table.Functions.Count(g => g.Name == f.Name) == 1 || !symtabName.Contains('['))
            {
                Assert.True(table.TryFindFunction(symtabName, out var found), symtabName);
                Assert.Equal(f, found);
            }
        }
        Assert.Equal(nm.Keys.Count(k => k.EndsWith(".abi0")), abi0);
        Assert.True(bracketed > 0);
        Assert.True(table.Functions.Count > 1000, $"only {table.Functions.Count} functions compared");
        Assert.True(table.TryFindFunction("runtime.reflectcall", out var wrapper));
        Assert.Equal((nm["runtime.reflectcall"].Address, false), (wrapper.Entry, wrapper.IsAssembly));
        Assert.True(table.TryFindFunction("runtime.reflectcall.abi0", out var body));
        Assert.Equal((nm["runtime.reflectcall.abi0"].Address, true), (body.Entry, body.IsAssembly));
        Assert.Equal(body, table.FindFunctionContaining(body.Entry + 1));
        Assert.Null(table.FindFunctionContaining(table.Functions[^1].End));
    }

    private static string Collapse(string name)
    {
        int open = name.IndexOf('[');
        int close = name.LastIndexOf(']');
        return name[..open] + "[...]" + name[(close + 1)..];
    }

    [Fact]
    public void AllocLargeReturnSitesMatchObjdumpInBothBuilds()
    {
        const string name = "runtime.(*mcache).allocLarge";
        using var plain = ElfFile.Open(go.Plain);
        using var stripped = ElfFile.Open(go.Stripped);
        var symtab = plain.FindFunction(name);
        var expected = ToolOutput.ObjdumpReturns(go.Plain, symtab.Start, symtab.End);
        Assert.NotEmpty(expected);

        var fromSymtab = ReturnSites.Find(plain, symtab);
        var fromPclntab = ReturnSites.Find(stripped, stripped.FindFunction(name));
        foreach (var scan in new[] { fromSymtab, fromPclntab })
        {
            Assert.False(scan.HitInvalidInstructions);
            Assert.Equal(expected, scan.Sites.Select(s => s.Address));
            Assert.Equal(expected.Select(a => plain.VirtualAddressToFileOffset(a)), scan.Sites.Select(s => s.FileOffset));
            Assert.All(scan.Sites, s => Assert.Equal((1, false), (s.Length, s.IsFar)));
        }
        Assert.Equal(FunctionSizeSource.SymbolSize, fromSymtab.SizeSource);
        Assert.Equal(FunctionSizeSource.PclntabNextEntry, fromPclntab.SizeSource);
        Assert.Equal(ToolOutput.ObjdumpInstructionCount(go.Plain, symtab.Start, symtab.End), fromSymtab.InstructionCount);

        var raw = ReturnSites.Find(stripped, symtab.Start, symtab.End);
        Assert.Null(raw.SizeSource);
        Assert.Equal(expected, raw.Sites.Select(s => s.Address));
    }

    [Fact]
    public void ReturnSitesOfEveryProbeTargetMatchObjdump()
    {
        using var stripped = ElfFile.Open(go.Stripped);
        foreach (var name in s_probeTargets)
        {
            var f = stripped.FindFunction(name);
            var scan = ReturnSites.Find(stripped, f);
            Assert.False(scan.HitInvalidInstructions, name);
            Assert.Equal(ToolOutput.ObjdumpReturns(go.Plain, f.Start, f.End), scan.Sites.Select(s => s.Address));
        }
    }

    [Fact]
    public void DecodingFromInsideAnInstructionIsReported()
    {
        using var plain = ElfFile.Open(go.Plain);
        var f = plain.FindFunction("runtime.mallocgc");
        // Scanning a range made of data (the .rodata start) produces invalid opcodes that must be reported.
        var rodata = plain.FindSection(".rodata")!;
        var scan = ReturnSites.Find(plain, rodata.Address, rodata.Address + 4096);
        Assert.True(scan.HitInvalidInstructions);
        Assert.Throws<ArgumentOutOfRangeException>(() => ReturnSites.Find(plain, f.End, f.Start));
    }

    [Fact]
    public void MissingSectionHeadersFallBackToModuleDataAndSegmentScans()
    {
        string path = go.CopyWithRenamedSections("renamed", ".gopclntab", ".go.buildinfo");
        var nm = GoToolNm(go.Plain);
        using var elf = ElfFile.Open(path);
        Assert.Null(elf.FindSection(".gopclntab"));
        Assert.Null(elf.FindSection(".go.buildinfo"));

        // runtime.firstmoduledata (found through .symtab here) points at the table.
        var table = GoPclntab.Load(elf);
        Assert.Equal(GoPclntabLocation.ModuleData, table.Location);
        Assert.Equal(elf.FindSection(".xopclntab")!.Address, table.Address);
        foreach (var name in s_probeTargets)
        {
            var f = elf.FindFunction(name);
            Assert.Equal((name, FunctionSource.Pclntab, nm[name].Address), (name, f.Source, f.Start));
        }

        var info = GoBuildInfo.TryRead(elf);
        Assert.NotNull(info);
        Assert.Equal((go.GoVersion, GoFixture.ModulePath), (info.GoVersion, info.ModulePath));
        Assert.Equal(elf.FindSection(".xo.buildinfo")!.Address, info.Address);
    }

    [Fact]
    public void UnknownPclntabMagicIsNamedInTheError()
    {
        string path = go.CopyWithPclntabMagic("badmagic", 0x12345678);
        using var elf = ElfFile.Open(path);
        var e = Assert.Throws<FunctionNotFoundException>(() => elf.FindFunction("main.main"));
        Assert.Equal($"{path}: function 'main.main' not found: no .symtab (stripped); no .dynsym; pclntab in section .gopclntab: unknown magic 0x12345678", e.Message);
        var load = Assert.Throws<GoFormatException>(() => GoPclntab.Load(elf));
        Assert.Equal($"{path}: pclntab in section .gopclntab: unknown magic 0x12345678", load.Message);

        string old = go.CopyWithPclntabMagic("go115magic", 0xFFFFFFFB);
        using var oldElf = ElfFile.Open(old);
        Assert.False(GoPclntab.TryLoad(oldElf, out var none, out string? failure));
        Assert.Null(none);
        Assert.Equal($"{old}: pclntab in section .gopclntab: unknown magic 0xFFFFFFFB (the Go 1.2-1.15 layout, not supported)", failure);
    }

    [Fact]
    public void UnknownFunctionInAStrippedGoBinarySaysWhichTablesWereSearched()
    {
        using var elf = ElfFile.Open(go.Stripped);
        var e = Assert.Throws<FunctionNotFoundException>(() => elf.FindFunction("main.nosuch"));
        int count = GoPclntab.Load(elf).Functions.Count;
        Assert.Equal($"{go.Stripped}: function 'main.nosuch' not found: no .symtab (stripped); no .dynsym; Go pclntab (Go118, {count} functions) has no function 'main.nosuch'", e.Message);
    }

    [Fact]
    public void GoBinaryHasGoBuildIdNoteButNoGnuBuildId()
    {
        using var elf = ElfFile.Open(go.Plain);
        Assert.Equal(ToolOutput.ReadelfBuildId(go.Plain), elf.BuildId);
        Assert.Null(elf.BuildId);
        Assert.Equal(ElfType.Executable, elf.Type);
        Assert.False(elf.Dynamic.IsDynamic);
        Assert.Null(elf.Interpreter);
    }
}
