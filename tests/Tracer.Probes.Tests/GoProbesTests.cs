using Tracer.Core;
using Tracer.Elf;
using Tracer.TestSupport;

namespace Tracer.Probes.Tests;

/// <summary>
/// Where Go's stop-the-world pauses are measured, on the Go matrix and the npm release binaries: from Go 1.22 one
/// probe on <c>startTheWorldWithSema</c>'s returns, reading the stop's start time and reason it was passed from its
/// frame; before 1.22, or when a build's code does not read those arguments where the release should pass them or does
/// not keep them to its return, the stop/start pair, saying why.
/// </summary>
public class GoProbesTests
{
    private const string Start = "runtime.startTheWorldWithSema";

    public static TheoryData<string, string> Cells() => Tracer.TestSupport.GoMatrix.Cells();

    private static string Existing(string path)
    {
        Assert.True(File.Exists(path), $"{path} is missing: `make go-matrix go-release` builds and installs it");
        return path;
    }

    private static string Matrix(string version, string mode) =>
        Existing(Path.Combine(Repository.Root, "build", "go-matrix", $"go{version}", $"gomatrix-{mode}"));

    private static (List<UprobeSite> Pauses, List<string> Problems) PauseSites(string path)
    {
        using var elf = ElfFile.Open(path);
        var binary = GoProbes.Identify(elf, path, out string? problem);
        Assert.True(binary is not null, problem);
        var problems = new List<string>();
        var sites = GoProbes.Sites(elf, path, path, binary, problems);
        return (sites.Where(s => s.Op == AllocOp.GcPause).ToList(), problems);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void FromGo122OneProbeOnTheRestartsReturnMeasuresThePause(string version, string mode)
    {
        var (pauses, problems) = PauseSites(Matrix(version, mode));
        Assert.Empty(problems);
        if (version == "1.19")
        {
            Assert.Equal(["go_stw_begin", null], pauses.Select(s => s.EntryProgram));
            Assert.Equal([null, "go_stw_end"], pauses.Select(s => s.ExitProgram));
            Assert.StartsWith($"pauses from this entry to {Start}'s return: {Start} receives no stop time before Go 1.22; " +
                "emulated on `jbe ", pauses[0].Note);
            // The entry's stack check is a compare (single-stepped): the probe sits on its branch, which follows it.
            Assert.NotEqual(pauses[0].FileOffset, ElfFunctionOffset(Matrix(version, mode), "runtime.stopTheWorldWithSema"));
            Assert.NotNull(pauses[1].ReturnsStoodFor);
            return;
        }
        var done = Assert.Single(pauses);
        Assert.Equal(Start, done.Symbol);
        Assert.Null(done.EntryProgram);
        Assert.Equal("go_stw_done", done.ExitProgram);
        Assert.NotEmpty(done.ReturnOffsets!);
        // How far below RSP at the RET the start time (cookie bits 24-31) and the reason (bits 16-23) lie, and (bits
        // 32-47) how far the RET's RSP is above the probe's: the probe is on the branch before the epilogue, whose
        // frame is the prologue's SUBQ (0x58 to 1.24, 0x60 from 1.26) and its pushed BP.
        bool older = version is "1.22" or "1.24";
        Assert.Equal((older ? 0x60UL : 0x68UL) << 32 | 48UL << 24 | (older ? 69UL : 77UL) << 16 | (ulong)Allocators.Go << 8 | (byte)AllocOp.GcPause, done.Cookie);
        Assert.Single(done.ReturnOffsets!);
        Assert.NotNull(done.ReturnsStoodFor);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void TheLargePathsEntryIsProbedOnItsStackChecksBranch_ItsReturnsOnTheRets(string version, string mode)
    {
        string path = Matrix(version, mode);
        using var elf = ElfFile.Open(path);
        var binary = GoProbes.Identify(elf, path, out string? problem);
        Assert.True(binary is not null, problem);
        var large = Assert.Single(GoProbes.Sites(elf, path, path, binary, []), s => s.Op == AllocOp.GoLarge);
        Assert.StartsWith("emulated on `jbe ", large.Note);
        Assert.NotEqual(elf.FindFunction(large.Symbol).StartFileOffset, large.FileOffset);
        Assert.Null(large.ReturnsStoodFor);
    }

    private static ulong ElfFunctionOffset(string path, string name)
    {
        using var elf = ElfFile.Open(path);
        return elf.FindFunction(name).StartFileOffset;
    }

    [Theory]
    [InlineData("@bufbuild/buf-linux-x64/bin/buf")]
    [InlineData("lefthook-linux-x64/bin/lefthook")]
    public void ReleaseBinariesFromNpmGetTheOneProbe(string relative)
    {
        var (pauses, problems) = PauseSites(Existing(Path.Combine(Repository.Root, "build", "go-release", "node_modules", relative)));
        Assert.Empty(problems);
        Assert.Equal("go_stw_done", Assert.Single(pauses).ExitProgram);
    }

    [Fact]
    public void ABuildWhoseRestartDoesNotReadTheStopTimeGetsThePairAndSaysWhy()
    {
        // A copy of a Go 1.27 binary whose startTheWorldWithSema loads RCX from its frame instead of storing it there
        // (MOV [RSP+d8], RCX made MOV RCX, [RSP+d8], the same length): its code no longer reads a start time in RCX.
        string original = Matrix("1.27", "plain");
        var bytes = File.ReadAllBytes(original);
        ulong entry;
        using (var elf = ElfFile.Open(original))
            entry = elf.FindFunction(Start).StartFileOffset;
        int store = bytes.AsSpan((int)entry, 64).IndexOf((ReadOnlySpan<byte>)[0x48, 0x89, 0x4c, 0x24]);
        Assert.True(store >= 0, "no MOV [RSP+d8], RCX in the first 64 bytes of startTheWorldWithSema");
        bytes[(int)entry + store + 1] = 0x8b;
        string dir = Directory.CreateTempSubdirectory("alloclat-gostw-").FullName;
        try
        {
            string copy = Path.Combine(dir, "gomatrix-patched");
            File.WriteAllBytes(copy, bytes);
            var (pauses, problems) = PauseSites(copy);
            Assert.Empty(problems);
            Assert.Equal(["go_stw_begin", null], pauses.Select(s => s.EntryProgram));
            Assert.Equal([null, "go_stw_end"], pauses.Select(s => s.ExitProgram));
            Assert.StartsWith($"pauses from this entry to {Start}'s return: {Start}'s entry does not read rcx, " +
                "where its worldStop's reason and start time should be (it reads ", pauses[0].Note);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
