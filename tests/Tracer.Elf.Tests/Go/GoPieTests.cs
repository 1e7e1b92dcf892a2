using System.Globalization;
using Tracer.Elf.Disassembly;
using Tracer.Elf.Go;

namespace Tracer.Elf.Tests;

public sealed class GoPieTests(GoPieFixture pie) : IClassFixture<GoPieFixture>
{
    private static readonly string[] s_probeTargets =
    [
        "runtime.(*mcache).allocLarge",
        "runtime.stopTheWorldWithSema",
        "runtime.startTheWorldWithSema",
        "runtime.mallocgc",
        "main.main",
    ];

    [Fact]
    public void PclntabIsFoundWithoutItsSectionHeader()
    {
        using var plain = ElfFile.Open(pie.Plain);
        using var stripped = ElfFile.Open(pie.Stripped);
        Assert.Equal((ElfType.SharedObject, ElfType.SharedObject), (plain.Type, stripped.Type));
        Assert.Null(plain.FindSection(".gopclntab"));
        Assert.Null(stripped.FindSection(".gopclntab"));

        var bySymbol = GoPclntab.Load(plain);
        var byScan = GoPclntab.Load(stripped);
        Assert.Equal(GoPclntabLocation.Symbol, bySymbol.Location);
        // Without symbols, the runtime's module descriptor in the writable segment points at the header.
        Assert.Equal(GoPclntabLocation.ModuleData, byScan.Location);
        // The external linker keeps runtime.pclntab (here the header itself) but not runtime.pcheader.
        Assert.Empty(plain.Symbols.Lookup("runtime.pcheader"));
        Assert.Equal(plain.Symbols.Lookup("runtime.pclntab").Single().Value, bySymbol.Address);
        var relro = stripped.FindSection(".data.rel.ro")!;
        Assert.InRange(byScan.Address, relro.Address, relro.Address + relro.Size - 1);
        Assert.Equal(bySymbol.Functions, byScan.Functions);
    }

    [Fact]
    public void ProbeTargetsMatchGoToolNmOfThePlainBuild()
    {
        var output = ProcessRunner.Run("/usr/bin/go", ["tool", "nm", "-size", pie.Plain], environment: pie.Environment).Stdout;
        var nm = new Dictionary<string, (ulong Address, ulong Size)>();
        foreach (var line in output.Split('\n'))
        {
            var parts = line.Trim().Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 4 && parts[2] is "T" or "t")
                nm.TryAdd(parts[3], (ToolOutput.Hex(parts[0]), ulong.Parse(parts[1], CultureInfo.InvariantCulture)));
        }
        var objdump = ToolOutput.ObjdumpFunctionOffsets(pie.Plain).ToDictionary(f => f.Name, f => f.FileOffset);

        using var plain = ElfFile.Open(pie.Plain);
        using var stripped = ElfFile.Open(pie.Stripped);
        foreach (var name in s_probeTargets)
        {
            var f = stripped.FindFunction(name);
            Assert.Equal((name, FunctionSource.Pclntab, nm[name].Address, objdump[name]), (name, f.Source, f.Start, f.StartFileOffset));
            var s = plain.FindFunction(name);
            Assert.Equal((FunctionSource.Symtab, nm[name].Address, nm[name].Address + nm[name].Size), (s.Source, s.Start, s.End));
            Assert.Equal(
                ToolOutput.ObjdumpReturns(pie.Plain, s.Start, s.End),
                ReturnSites.Find(stripped, f).Sites.Select(r => r.Address));
        }

        var info = GoBuildInfo.TryRead(stripped)!;
        Assert.Equal(GoFixture.ModulePath, info.ModulePath);
        Assert.Contains(new KeyValuePair<string, string>("-ldflags", "\"-linkmode=external -s -w\""), info.Settings);
    }
}
