using System.Diagnostics;
using Tracer.Probes;

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
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        // Every child lives until the shell is killed, so no entry is freed while the others are forked.
        psi.ArgumentList.Add($"read _; i=0; while [ $i -lt {Children} ]; do sleep 60 & i=$((i+1)); done; echo forked; wait");
        using var shell = Process.Start(psi)!;
        try
        {
            source.AddTarget(shell.Id);
            shell.StandardInput.WriteLine();
            Assert.Equal("forked", shell.StandardOutput.ReadLine());
            // The shell holds one entry; its first Entries - 1 children take the rest.
            Assert.Equal(Children - (Entries - 1), source.ReadCounters().TargetsFull);
        }
        finally
        {
            shell.Kill(entireProcessTree: true);
            shell.WaitForExit();
        }
    }
}
