using Tracer.Native;
using Tracer.TestSupport;

namespace Tracer.Probes.Tests;

/// <summary>A pid that can make no traced call is refused with a sentence that says what it is.</summary>
public class ProcessTargetTests
{
    [Fact]
    public void AKernelThreadIsReportedAsOne()
    {
        // pid 2 is kthreadd, the parent of every kernel thread.
        var e = Assert.Throws<UntraceableProcessException>(() => ProcessTarget.Require(2));
        Assert.Equal(2, e.Pid);
        Assert.Equal("process 2 (kthreadd) is a kernel thread: it has no user memory and makes no allocation to trace", e.Message);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(0)]
    [InlineData(-1)]
    public void APidWithNoProcessDoesNotExist(int pid)
    {
        var e = Assert.Throws<TargetGoneException>(() => ProcessTarget.Require(pid));
        Assert.Equal($"process {pid} does not exist", e.Message);
    }

    [Fact]
    public void ARunningProcessIsATarget() => ProcessTarget.Require(Environment.ProcessId);

    [Fact]
    public async Task AZombieIsReportedAsOne()
    {
        // The child exits at once and its parent never waits for it (a shell could reap it before it execs sleep).
        var parent = CapturedProcess.Start("perl", ["-e", "$| = 1; my $p = fork; exit 0 unless $p; print \"$p\\n\"; sleep 60"]);
        try
        {
            int zombie = 0;
            await Wait.UntilAsync(() => int.TryParse(parent.StdoutSoFar.Split('\n')[0].Trim(), out zombie), TimeSpan.FromSeconds(30), "the shell to say its child's pid");
            await Wait.UntilAsync(() => ProcessStat.Read(zombie)?.State == 'Z', TimeSpan.FromSeconds(30), "the child to become a zombie");
            var e = Assert.Throws<UntraceableProcessException>(() => ProcessTarget.Require(zombie));
            Assert.Equal($"process {zombie} (perl) is a zombie: it has exited and waits for its parent to reap it; there is nothing left to trace", e.Message);
        }
        finally
        {
            parent.Kill();
        }
    }
}
