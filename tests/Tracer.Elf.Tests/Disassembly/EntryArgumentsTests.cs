using Tracer.Elf.Disassembly;

namespace Tracer.Elf.Tests;

/// <summary>
/// The registers a function reads before writing them, on the Go matrix and the npm release binaries: what
/// <c>runtime.startTheWorldWithSema</c> takes differs by release, and its code says so.
/// </summary>
public class EntryArgumentsTests
{
    public static TheoryData<string, string> Cells() => GoMatrixLayoutTests.Cells();

    /// <summary>Go's integer argument registers on amd64, in order (R14 holds g, RSP and RBP the frame, RDX a closure's context).</summary>
    private static readonly string[] s_goArguments = ["rax", "rbx", "rcx", "rdi", "rsi", "r8", "r9", "r10", "r11"];

    private static List<string> Arguments(IReadOnlySet<string> read) => s_goArguments.Where(read.Contains).ToList();

    private static string Matrix(string version, string mode) =>
        Existing(Path.Combine(Repository.Root, "build", "go-matrix", $"go{version}", $"gomatrix-{mode}"));

    private static string Existing(string path)
    {
        Assert.True(File.Exists(path), $"{path} is missing: `make go-matrix go-release` builds and installs it");
        return path;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void StartTheWorldTakesTheStopTimeInRcxFromGo122(string version, string mode)
    {
        using var elf = ElfFile.Open(Matrix(version, mode));
        var read = EntryArguments.ReadBeforeWritten(elf, elf.FindFunction("runtime.startTheWorldWithSema"));
        if (version == "1.19")
        {
            // startTheWorldWithSema(emitTraceEvent bool) int64: one argument, in AL; RCX is written before any read.
            Assert.Equal(["rax"], Arguments(read));
        }
        else
        {
            // startTheWorldWithSema(now int64, w worldStop) int64: now in RAX, w.reason in BL, w's start time in RCX
            // (1.23+: and w's two other times in RDI and RSI, which the function never reads).
            Assert.Equal(["rax", "rbx", "rcx"], Arguments(read));
        }
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void StartTheWorldKeepsItsStopTimeAndReasonInItsFrameToTheEnd(string version, string mode)
    {
        if (version == "1.19")
            return;
        using var elf = ElfFile.Open(Matrix(version, mode));
        var function = elf.FindFunction("runtime.startTheWorldWithSema");
        var scan = ProbeSafety.Verify(elf, function, out _)!;
        // As `go tool objdump` shows them: SUBQ $0x58, SP (1.22, 1.24) or $0x60 (1.26, 1.27) after PUSHQ BP; then
        // MOVQ CX, 0x30(SP) or 0x38(SP) and MOVB BL, 0x1b(SP), never written again.
        var start = EntryArguments.KeptUntilReturn(elf, function, scan, "rcx", out string? why);
        Assert.True(start is not null, why);
        Assert.Equal(new StackSlot(-48, 8), start);
        var reason = EntryArguments.KeptUntilReturn(elf, function, scan, "rbx", out why);
        Assert.True(reason is not null, why);
        Assert.Equal(new StackSlot(version is "1.22" or "1.24" ? -69 : -77, 1), reason);
    }

    [Fact]
    public void ASlotWrittenAgainIsNotKept()
    {
        // A copy of Go 1.27's startTheWorldWithSema whose later MOVQ AX, 0x40(SP) is made MOVQ AX, 0x38(SP): it writes
        // over the start time's slot.
        string original = Matrix("1.27", "plain");
        var bytes = File.ReadAllBytes(original);
        ulong entry, size;
        using (var elf = ElfFile.Open(original))
        {
            var f = elf.FindFunction("runtime.startTheWorldWithSema");
            (entry, size) = (f.StartFileOffset, f.End - f.Start);
        }
        int store = bytes.AsSpan((int)entry, (int)size).IndexOf((ReadOnlySpan<byte>)[0x48, 0x89, 0x44, 0x24, 0x40]);
        Assert.True(store >= 0, "no MOVQ AX, 0x40(SP) in startTheWorldWithSema");
        bytes[(int)entry + store + 4] = 0x38;
        string copy = Path.Combine(Directory.CreateTempSubdirectory("alloclat-slot-").FullName, "gomatrix");
        File.WriteAllBytes(copy, bytes);
        try
        {
            using var elf = ElfFile.Open(copy);
            var function = elf.FindFunction("runtime.startTheWorldWithSema");
            var scan = ProbeSafety.Verify(elf, function, out _)!;
            Assert.Null(EntryArguments.KeptUntilReturn(elf, function, scan, "rcx", out string? why));
            Assert.Equal($"runtime.startTheWorldWithSema's frame slot of rcx (RSP+0x38) is written again at 0x{function.Start + (ulong)store:x}", why);
            Assert.NotNull(EntryArguments.KeptUntilReturn(elf, function, scan, "rbx", out _));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(copy)!, recursive: true);
        }
    }

    [Theory]
    [InlineData("@bufbuild/buf-linux-x64/bin/buf")]
    [InlineData("lefthook-linux-x64/bin/lefthook")]
    public void ReleaseBinariesFromNpmTakeTheStopTimeInRcx(string relative)
    {
        using var elf = ElfFile.Open(Existing(Path.Combine(Repository.Root, "build", "go-release", "node_modules", relative)));
        var read = EntryArguments.ReadBeforeWritten(elf, elf.FindFunction("runtime.startTheWorldWithSema"));
        Assert.Equal(["rax", "rbx", "rcx"], Arguments(read));
    }

    [Fact]
    public void AFunctionTakingOneArgumentReadsOnlyThatRegister()
    {
        // runtime.stopTheWorldWithSema(reason stwReason): the reason in AL, nothing else.
        using var elf = ElfFile.Open(Matrix("1.27", "plain"));
        var read = EntryArguments.ReadBeforeWritten(elf, elf.FindFunction("runtime.stopTheWorldWithSema"));
        Assert.Equal(["rax"], Arguments(read));
        Assert.Contains("r14", read);
    }
}
