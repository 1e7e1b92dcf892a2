namespace Tracer.Elf.Tests;

public sealed class LibcTests
{
    private const string Libc = "/lib/x86_64-linux-gnu/libc.so.6";

    private static readonly string[] s_allocators =
        ["malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc", "memalign", "valloc", "pvalloc"];

    [Fact]
    public void AllocatorFunctionsResolveToNmAddresses()
    {
        using var elf = ElfFile.Open(Libc);
        var nm = ToolOutput.NmDynamic(Libc);
        var readelf = ToolOutput.ReadelfSymbols(Libc).Where(s => s.Table == ".dynsym" && s.Ndx != "UND" && s.DefaultVersion).ToList();
        foreach (var name in s_allocators)
        {
            var expected = nm.Where(s => s.Name == name && s.Type is 'T' or 'W' or 'i').Select(s => s.Address).Distinct().Single();
            var f = elf.FindFunction(name);
            Assert.Equal((name, expected), (name, f.Start));
            Assert.Equal(FunctionSource.Dynsym, f.Source);
            Assert.Equal(readelf.Single(s => s.Name == name).Version, f.Symbol!.Version);
            Assert.Equal(elf.VirtualAddressToFileOffset(expected), f.StartFileOffset);
            Assert.True(f.Size > 0);
        }
    }

    [Fact]
    public void AliasesAtOneAddressAreReportedTogether()
    {
        using var elf = ElfFile.Open(Libc);
        var nm = ToolOutput.NmDynamic(Libc).Where(s => s.Type is 'T' or 'W' or 'i' or 't').ToList();
        foreach (var name in s_allocators)
        {
            ulong address = elf.FindFunction(name).Start;
            var expected = nm.Where(s => s.Address == address).Select(s => s.Name).Distinct().Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, elf.Symbols.FunctionNamesAt(address));
        }
        Assert.Equal("GLIBC_2.2.5", elf.FindFunction("malloc").Symbol!.Version);
        Assert.Equal("GLIBC_2.16", elf.FindFunction("aligned_alloc").Symbol!.Version);
        var mallocNames = elf.Symbols.FunctionNamesAt(elf.FindFunction("malloc").Start);
        Assert.Contains("__libc_malloc", mallocNames);
        Assert.Contains("malloc", mallocNames);
    }

    [Fact]
    public void EveryDefinedDynamicFunctionMatchesReadelf()
    {
        using var elf = ElfFile.Open(Libc);
        var expected = ToolOutput.ReadelfSymbols(Libc)
            .Where(s => s.Table == ".dynsym" && s.Type is "FUNC" or "IFUNC" && s.Ndx != "UND")
            .Select(s => (s.Name, s.Value, s.Size, s.Version, s.DefaultVersion))
            .ToList();
        var actual = elf.Symbols.Functions
            .Where(s => s.Source == SymbolSource.Dynsym && s.IsDefined)
            .Select(s => (s.Name, s.Value, s.Size, s.Version, s.IsDefaultVersion))
            .ToList();
        Assert.True(expected.Count > 2000, $"only {expected.Count} functions in libc?");
        Assert.Equal(expected, actual);
        Assert.Contains(elf.Symbols.Functions, s => s.IsIndirectFunction && s.Name == "memcpy");
        Assert.Equal(ToolOutput.ReadelfBuildId(Libc), elf.BuildId);
        Assert.Equal("libc.so.6", elf.Dynamic.Soname);
        Assert.Equal(["ld-linux-x86-64.so.2"], elf.Dynamic.Needed);
    }

    [Fact]
    public void MultiplyVersionedSymbolsKeepBothVersions()
    {
        using var elf = ElfFile.Open(Libc);
        var memcpy = elf.Symbols.Lookup("memcpy").Where(s => s.IsDefined).Select(s => s.VersionedName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["memcpy@@GLIBC_2.14", "memcpy@GLIBC_2.2.5"], memcpy);
        Assert.True(elf.Symbols.TryGetDefinedFunction("memcpy", out var preferred));
        Assert.Equal("GLIBC_2.14", preferred.Version);
    }
}
