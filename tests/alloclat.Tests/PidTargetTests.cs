using Tracer.Native;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>A -p target that can make no traced call (a kernel thread, a zombie) is refused in one line, exit 6.</summary>
public class PidTargetTests
{
    private static void AssertRefused(CliResult r, string text)
    {
        Assert.True(r.ExitCode == 6, r.ToString());
        var error = Assert.Single(r.Stderr.Split('\n'), l => l.StartsWith("[ERROR] ", StringComparison.Ordinal));
        Assert.Contains(text, error);
        Assert.DoesNotContain("[INFO] tracing", r.Stderr);
    }

    [Fact]
    public void AKernelThreadIsRefused() =>
        // pid 2 is kthreadd, the parent of every kernel thread.
        AssertRefused(Cli.Run(["record", "-q", "-o", Cli.TempOutput(), "-p", "2", "--duration", "2s"]), "process 2 (kthreadd) is a kernel thread");

    [Fact]
    public async Task AZombieIsRefused()
    {
        // The child exits at once and its parent never waits for it (a shell could reap it before it execs sleep).
        var parent = CapturedProcess.Start("perl", ["-e", "$| = 1; my $p = fork; exit 0 unless $p; print \"$p\\n\"; sleep 60"]);
        try
        {
            int zombie = 0;
            await Wait.UntilAsync(() => int.TryParse(parent.StdoutSoFar.Split('\n')[0].Trim(), out zombie), TimeSpan.FromSeconds(30), "perl to say its child's pid");
            await Wait.UntilAsync(() => ProcessStat.Read(zombie)?.State == 'Z', TimeSpan.FromSeconds(30), "the child to become a zombie");
            AssertRefused(Cli.Run(["record", "-q", "-o", Cli.TempOutput(), "-p", zombie.ToString(), "--duration", "2s"]), $"process {zombie} (perl) is a zombie");
        }
        finally
        {
            parent.Kill();
        }
    }
}
