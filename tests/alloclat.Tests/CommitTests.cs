namespace Alloclat.Tests;

/// <summary>
/// Default mode sees how managed runtimes take memory: address space reserved with mmap(PROT_NONE), committed with
/// mprotect and released with madvise. The C workload makes a known number of each, among calls that are neither.
/// </summary>
public class CommitTests
{
    private static Dictionary<(string Op, string SizeClass), long> Trace(params string[] args)
    {
        string output = Cli.TempOutput();
        var result = Cli.Run(["record", "-q", "-o", output, .. args]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return LineProtocolFile.Counts(LineProtocolFile.Read(output), "kernel");
    }

    [Fact]
    public void CommitsAndReleasesOfReservedMemoryAreCountedExactly()
    {
        var small = Trace("--", Cli.Workload("commit_workload"), "25", "65536");
        Assert.Equal(25, small.GetValueOrDefault(("mprotect", "64K")));
        Assert.Equal(25, small.GetValueOrDefault(("madvise", "64K")));
        // Re-protecting committed memory, taking access away, a file mapping and a 4 KiB commit are not counted.
        Assert.Equal(25, small.Where(c => c.Key.Op == "mprotect").Sum(c => c.Value));
        Assert.Equal(25, small.Where(c => c.Key.Op == "madvise").Sum(c => c.Value));

        var large = Trace("--", Cli.Workload("commit_workload"), "7", "1048576");
        Assert.Equal(7, large.GetValueOrDefault(("mprotect", "1M")));
        Assert.Equal(7, large.GetValueOrDefault(("madvise", "1M")));
    }

    [Fact]
    public void TheSizeFilterAppliesToCommitsToo()
    {
        var counts = Trace("--min-size", "128K", "--", Cli.Workload("commit_workload"), "9", "65536");
        Assert.DoesNotContain(counts.Keys, k => k.Op is "mprotect" or "madvise");
    }
}
