using Tracer.Native;
using Tracer.TestSupport;

namespace Tracer.Probes.Tests;

/// <summary>Running processes found in /proc by name and by executable, as -n and --binary find them.</summary>
public class ProcessFinderTests
{
    [Fact]
    public void AStartedProcessIsFoundByItsNameAndByItsExecutable()
    {
        var sleep = CapturedProcess.Start("/bin/sleep", ["30"]);
        try
        {
            Assert.Equal("sleep", ProcessFinder.NameOf(sleep.Id));
            Assert.Contains(sleep.Id, ProcessFinder.Named(["no-such-name", "sleep"]));
            Assert.Contains(sleep.Id, ProcessFinder.Running(KernelSupport.FileIdentity("/bin/sleep")));
            Assert.DoesNotContain(sleep.Id, ProcessFinder.Named(["sleepy"]));
            Assert.DoesNotContain(sleep.Id, ProcessFinder.Running(KernelSupport.FileIdentity("/bin/sh")));
        }
        finally
        {
            sleep.Kill();
        }
    }

    [Fact]
    public void TheCurrentProcessIsFoundByItsExecutableButNotByItsName()
    {
        int self = Environment.ProcessId;
        string name = ProcessFinder.NameOf(self)!;
        Assert.Equal(File.ReadAllText("/proc/self/comm").TrimEnd('\n'), name);
        Assert.Contains(self, ProcessFinder.All());
        Assert.Contains(self, ProcessFinder.Running(KernelSupport.FileIdentity("/proc/self/exe")));
        // The collector never traces itself by name.
        Assert.DoesNotContain(self, ProcessFinder.Named([name]));
    }

    [Fact]
    public void AProcessThatDoesNotExistHasNoName() => Assert.Null(ProcessFinder.NameOf(int.MaxValue));
}
