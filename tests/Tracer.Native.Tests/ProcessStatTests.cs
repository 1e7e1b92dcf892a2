using Tracer.Native;

namespace Tracer.Native.Tests;

/// <summary>/proc/PID/stat read into name, state and flags: the kernel's own lines, and this host's processes.</summary>
public class ProcessStatTests
{
    [Fact]
    public void ANameWithSpacesAndParenthesesEndsAtTheLastParenthesis()
    {
        var stat = ProcessStat.Parse("1234 (a (b) c) S 1 1234 1234 0 -1 4194560 118 0 0 0 0 0 0 0 20 0 1 0 5077 2600960 228\n");
        Assert.Equal(new ProcessStat("a (b) c", 'S', 4194560), stat);
        Assert.False(stat!.Value.IsKernelThread);
        Assert.False(stat.Value.IsZombie);
    }

    [Theory]
    [InlineData("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 2 0 0", true, false)]
    [InlineData("977 (true) Z 976 976 1 0 -1 4227148 0 0 0 0 0 0 0 0 20 0 1 0 9160 0 0", false, true)]
    [InlineData("977 (true) X 976 976 1 0 -1 4227148 0 0 0 0 0 0 0 0 20 0 1 0 9160 0 0", false, true)]
    public void KernelThreadsAndZombiesAreToldApart(string line, bool kernelThread, bool zombie)
    {
        var stat = ProcessStat.Parse(line)!.Value;
        Assert.Equal((kernelThread, zombie), (stat.IsKernelThread, stat.IsZombie));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1234 (comm")]
    [InlineData("1234 (comm) S 1 2")]
    [InlineData("1234 (comm) S 1 1234 1234 0 -1 flags")]
    public void TextOfAnotherFormIsNoStat(string text) => Assert.Null(ProcessStat.Parse(text));

    [Fact]
    public void ThisHostsKernelThreadAndThisProcessAreReadAsTheyAre()
    {
        // pid 2 is kthreadd, the parent of every kernel thread.
        var kthreadd = ProcessStat.Read(2)!.Value;
        Assert.Equal(("kthreadd", true), (kthreadd.Comm, kthreadd.IsKernelThread));

        var self = ProcessStat.Read(Environment.ProcessId)!.Value;
        Assert.Equal(File.ReadAllText("/proc/self/comm").TrimEnd('\n'), self.Comm);
        Assert.Equal((false, false), (self.IsKernelThread, self.IsZombie));
        Assert.Null(ProcessStat.Read(int.MaxValue));
    }
}
