using Tracer.Probes;
using Tracer.TestSupport;

namespace Tracer.Probes.Tests.Bpf;

/// <summary>
/// A target table that is full is counted, not silent: the real probes in the real kernel, with the table made
/// small so that a shell's background children overflow it by a known number.
/// </summary>
public class TargetTableTests
{
    [Fact]
    public void ForksThatFindTheTargetTableFullAreCountedExactly()
    {
        const int Children = 10, Entries = 4;
        using var source = BpfAllocationSource.Load(new ProbeOptions { MaxTargets = Entries });
        // Every child lives until the shell is killed (on dispose, with its children), so no entry is freed while the
        // others are forked.
        using var shell = CapturedProcess.Start("/bin/sh",
            ["-c", $"read _; i=0; while [ $i -lt {Children} ]; do sleep 60 & i=$((i+1)); done; echo forked; wait"], input: true);
        source.AddTarget(shell.Id);
        shell.WriteLine();
        Assert.Equal("forked", shell.StdoutLine(0, TimeSpan.FromSeconds(60)));
        // The shell holds one entry; its first Entries - 1 children take the rest.
        Assert.Equal(Children - (Entries - 1), source.ReadCounters().TargetsFull);
    }
}
