using Tracer.Elf;
using Tracer.Native.Interop;
using Tracer.TestSupport;

namespace Tracer.Probes.Tests;

/// <summary>
/// Stacks of a process that has exited by the time its samples are read: a process lives for milliseconds, the
/// collector on a busy host reads its samples later. What the symbolizer read while the process was alive names
/// the frames then.
/// </summary>
public class StackSymbolizerTests
{
    [Fact]
    public async Task AProcessRememberedWhileAliveIsSymbolizedAfterItHasExited()
    {
        var (process, address) = await StartAndFind("run", 0x10);
        int pid = process.Id;
        var remembered = new StackSymbolizer();
        remembered.Remember(pid);
        var unseen = new StackSymbolizer();
        EndAndReap(process);
        Assert.False(Directory.Exists($"/proc/{pid}"));

        Assert.Equal(["run+0x10"], remembered.Symbolize(pid, [address]));
        // Without the map read while it lived, the address is all there is.
        Assert.Equal([$"0x{address:x}"], unseen.Symbolize(pid, [address]));
    }

    [Fact]
    public async Task AProcessAliveWhenItsStackIsReadIsSymbolizedFromItsOwnMap()
    {
        var (process, address) = await StartAndFind("main", 0x4);
        try
        {
            // A zero ends the stack.
            Assert.Equal(["main+0x4"], new StackSymbolizer().Symbolize(process.Id, [address, 0, address]));
        }
        finally
        {
            EndAndReap(process);
        }
    }

    [Fact]
    public void AFrameGivenAsABuildIdIsNamedWithoutItsProcess()
    {
        // No process has this pid: only the build-id and the file offset name the frame, through the files the
        // collector itself maps (the host's libc here).
        string libc = ProcMaps.ExecutableFiles(ProcMaps.Read(Environment.ProcessId)).First(f => Path.GetFileName(f).StartsWith("libc.so", StringComparison.Ordinal));
        using var elf = ElfFile.Open(libc);
        var symbol = elf.Symbols.Functions.First(s => s.Name == "malloc_trim" && s.IsDefined);
        ulong offset = FileOffset(elf, symbol.Value + 8);
        var frames = new StackBuildIdFrame[3];
        frames[0] = Frame(elf.BuildId!, offset);
        frames[1] = Frame("00112233445566778899aabbccddeeff00112233", 0x1234);
        var names = new StackSymbolizer().Symbolize(int.MaxValue, frames);
        Assert.Equal(2, names.Count);
        Assert.Matches(@"^(__)?malloc_trim\+0x8$", names[0]);
        // A build-id no file known here has: the id and the offset are what is left.
        Assert.Equal("[build-id 0011223344556677+0x1234]", names[1]);
    }

    private static StackBuildIdFrame Frame(string buildIdHex, ulong offset)
    {
        var f = new StackBuildIdFrame { Status = StackBuildIdFrame.StatusValid, OffsetOrIp = offset };
        Convert.FromHexString(buildIdHex).CopyTo(f.BuildId);
        return f;
    }

    private static ulong FileOffset(ElfFile elf, ulong vaddr)
    {
        var segment = elf.LoadSegments.Single(s => vaddr >= s.VirtualAddress && vaddr < s.VirtualAddress + s.FileSize);
        return vaddr - segment.VirtualAddress + segment.Offset;
    }

    /// <summary>Starts the workload paused inside its allocation loop; returns its pid and where a function of it is mapped.</summary>
    private static async Task<(CapturedProcess Process, ulong Address)> StartAndFind(string function, ulong offset)
    {
        string exe = Collector.Workload("alloc_workload");
        var p = CapturedProcess.Start(exe, ["1", "0", "0"], new Dictionary<string, string> { ["ALLOC_WORKLOAD_PAUSE_US"] = "60000000" });
        await Wait.UntilAsync(() => ProcMaps.Read(p.Id).Any(m => m.Path == exe), TimeSpan.FromSeconds(30), "the workload to be mapped");

        using var elf = ElfFile.Open(exe);
        var symbol = elf.Symbols.Functions.Single(s => s.Name == function && s.IsDefined);
        ulong fileOffset = FileOffset(elf, symbol.Value + offset);
        var mapping = ProcMaps.Read(p.Id).Single(m => m.Path == exe && fileOffset >= m.Offset && fileOffset < m.Offset + (m.End - m.Start));
        return (p, mapping.Start + fileOffset - mapping.Offset);
    }

    private static void EndAndReap(CapturedProcess p)
    {
        p.Kill();
        p.Wait(TimeSpan.FromSeconds(30));
    }
}
