using System.Diagnostics;

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
        // The shell's child exits at once; sleep, which the shell becomes, never reaps it.
        var psi = new ProcessStartInfo("/bin/sh", ["-c", "/bin/true & echo $!; exec sleep 60"]) { RedirectStandardOutput = true };
        using var parent = Process.Start(psi)!;
        int zombie = int.Parse(parent.StandardOutput.ReadLine()!);
        try
        {
            await Tracer.TestSupport.Wait.UntilAsync(() => File.ReadAllText($"/proc/{zombie}/stat").Contains(") Z "), TimeSpan.FromSeconds(30), "the child to become a zombie");
            AssertRefused(Cli.Run(["record", "-q", "-o", Cli.TempOutput(), "-p", zombie.ToString(), "--duration", "2s"]), $"process {zombie} (true) is a zombie");
        }
        finally
        {
            parent.Kill();
        }
    }
}
