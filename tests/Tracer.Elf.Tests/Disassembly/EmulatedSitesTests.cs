using Tracer.Elf.Disassembly;

namespace Tracer.Elf.Tests;

/// <summary>
/// Where a probe can stand for a function's entry or its RET on an instruction the kernel emulates, on small functions
/// shaped as Go's are (stack check, frame, epilogue, the morestack tail that jumps back to the entry). The Go matrix
/// and the npm release binaries are covered through GoProbes (Tracer.Probes.Tests).
/// </summary>
public class EmulatedSitesTests
{
    private const ulong Base = 0x401000;

    /// <summary>An image holding <paramref name="code"/> as function <c>f</c> at <see cref="Base"/>.</summary>
    private static ElfFile Function(byte[] code, out FunctionLocation f)
    {
        var elf = ElfFile.FromBytes(TinyElf.Build([new(Base, ElfSegmentFlags.Read | ElfSegmentFlags.Execute, code)]));
        f = new FunctionLocation("f", Base, Base + (ulong)code.Length, elf.VirtualAddressToFileOffset(Base),
            FunctionSource.Symtab, FunctionSizeSource.SymbolSize, null);
        return elf;
    }

    // cmp rsp, [r14+0x10]; jbe 0x1b; push rbp; mov rbp, rsp; sub rsp, 0x18; test rax, rax; jne 0x15; xor eax, eax;
    // 0x15: add rsp, 0x18; pop rbp; ret; 0x1b: call (next); jmp 0 (morestack and back to the entry)
    private static readonly byte[] s_goShaped =
    [
        0x49, 0x3b, 0x66, 0x10, 0x76, 0x15, 0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x18, 0x48, 0x85, 0xc0, 0x75, 0x02,
        0x31, 0xc0, 0x48, 0x83, 0xc4, 0x18, 0x5d, 0xc3, 0xe8, 0x00, 0x00, 0x00, 0x00, 0xeb, 0xde,
    ];

    [Fact]
    public void TheStackChecksBranchStandsForTheEntry()
    {
        using var elf = Function(s_goShaped, out var f);
        var site = EmulatedSites.Entry(elf, f, out string? reason);
        Assert.True(site is not null, reason);
        Assert.Equal(Base + 4, site.Address);
        Assert.Equal(f.StartFileOffset + 4, site.FileOffset);
        Assert.Equal(Base, site.StandsFor);
        Assert.Equal(0, site.SpToReturn);
    }

    [Fact]
    public void TheLastBranchEveryPathToTheRetPassesStandsForIt_WithTheEpiloguesFrame()
    {
        using var elf = Function(s_goShaped, out var f);
        var site = EmulatedSites.BeforeReturn(elf, f, out string? reason);
        Assert.True(site is not null, reason);
        // The jne, not the xor's path or the push: both of its ways lead to the epilogue.
        Assert.Equal(Base + 0x11, site.Address);
        Assert.Equal(Base + 0x1a, site.StandsFor);
        // add rsp, 0x18 and pop rbp lie between it and the RET.
        Assert.Equal(0x20, site.SpToReturn);
    }

    [Fact]
    public void ABranchInALoopIsPassedOverAndAFrameMadeOnTheWayIsRefused()
    {
        // cmp; jbe 0x18; push rbp; mov rbp, rsp; sub rsp, 0x18; 0xe: dec eax; jne 0xe; add rsp, 0x18; pop rbp; ret;
        // 0x18: call; jmp 0
        byte[] code =
        [
            0x49, 0x3b, 0x66, 0x10, 0x76, 0x12, 0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x18, 0xff, 0xc8, 0x75, 0xfc,
            0x48, 0x83, 0xc4, 0x18, 0x5d, 0xc3, 0xe8, 0x00, 0x00, 0x00, 0x00, 0xeb, 0xe1,
        ];
        using var elf = Function(code, out var f);
        // The loop's jne runs once per turn; the push before it is followed by the frame's sub on the way.
        Assert.Null(EmulatedSites.BeforeReturn(elf, f, out string? reason));
        Assert.Equal("the stack pointer changes at 0x40100a (sub rsp,18h) on the way to the RET", reason);
    }

    [Fact]
    public void TwoRetsOrAPrologueThatWritesARegisterKeepTheProbeWhereItWas()
    {
        // mov rbx, rax; jbe +0; ret; ret
        using var elf = Function([0x48, 0x89, 0xc3, 0x76, 0x00, 0xc3, 0xc3], out var f);
        Assert.Null(EmulatedSites.Entry(elf, f, out string? entry));
        Assert.Equal("f's prologue has no emulated instruction before one that changes its registers or stack", entry);
        Assert.Null(EmulatedSites.BeforeReturn(elf, f, out string? end));
        Assert.Equal("f has 2 RET instructions", end);
    }
}
