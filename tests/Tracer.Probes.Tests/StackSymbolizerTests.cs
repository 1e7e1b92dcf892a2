using Tracer.Elf;
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

    /// <summary>Starts the workload paused inside its allocation loop; returns its pid and where a function of it is mapped.</summary>
    private static async Task<(CapturedProcess Process, ulong Address)> StartAndFind(string function, ulong offset)
    {
        string exe = Collector.Workload("alloc_workload");
        var p = CapturedProcess.Start(exe, ["1", "0", "0"], new Dictionary<string, string> { ["ALLOC_WORKLOAD_PAUSE_US"] = "60000000" });
        await Wait.UntilAsync(() => ProcMaps.Read(p.Id).Any(m => m.Path == exe), TimeSpan.FromSeconds(30), "the workload to be mapped");

        using var elf = ElfFile.Open(exe);
        var symbol = elf.Symbols.Functions.Single(s => s.Name == function && s.IsDefined);
        var segment = elf.LoadSegments.Single(s => symbol.Value >= s.VirtualAddress && symbol.Value < s.VirtualAddress + s.FileSize);
        ulong fileOffset = symbol.Value + offset - segment.VirtualAddress + segment.Offset;
        var mapping = ProcMaps.Read(p.Id).Single(m => m.Path == exe && fileOffset >= m.Offset && fileOffset < m.Offset + (m.End - m.Start));
        return (p, mapping.Start + fileOffset - mapping.Offset);
    }

    private static void EndAndReap(CapturedProcess p)
    {
        p.Kill();
        p.Wait(TimeSpan.FromSeconds(30));
    }
}
