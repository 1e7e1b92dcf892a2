using Tracer.Native;
using Tracer.Probes;

namespace Tracer.Probes.Tests;

/// <summary>
/// The held command: <see cref="LaunchedCommand.Start"/> returns with the shell already waiting on its FIFO (its
/// exec and start-up over, so a mark "trace from the next exec" can only be taken by the command's exec), and the
/// command runs only once released.
/// </summary>
public class LaunchedCommandTests
{
    /// <summary>The FIFO the holding shell was given (its argument after the script).</summary>
    private static string FifoOf(int pid) => File.ReadAllText($"/proc/{pid}/cmdline").Split('\0')[3];

    [Fact]
    public async Task StartReturnsWithTheShellWaitingOnItsFifoAndReleaseRunsTheCommand()
    {
        string marker = Path.Combine(Path.GetTempPath(), $"alloclat-launched-{Guid.NewGuid():N}");
        using var command = LaunchedCommand.Start(["/bin/sh", "-c", $"echo ran > {marker}"]);
        // The shell has the FIFO open for reading: a writer opened without waiting is refused while no reader is there.
        Fifo.OpenWriter(FifoOf(command.Pid)).Dispose();
        // Still the shell: the command's exec has not begun.
        Assert.Equal(Path.GetFileName(new FileInfo("/bin/sh").ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? "/bin/sh"),
            Path.GetFileName(new FileInfo($"/proc/{command.Pid}/exe").LinkTarget));
        Assert.False(File.Exists(marker));

        command.Release();
        await command.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, command.ExitCode);
        Assert.Equal("ran\n", File.ReadAllText(marker));
        File.Delete(marker);
    }

    [Fact]
    public void ACommandNeverReleasedNeverRuns()
    {
        string marker = Path.Combine(Path.GetTempPath(), $"alloclat-launched-{Guid.NewGuid():N}");
        var command = LaunchedCommand.Start(["/bin/sh", "-c", $"echo ran > {marker}"]);
        int pid = command.Pid;
        using var process = System.Diagnostics.Process.GetProcessById(pid);
        command.Dispose();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.False(File.Exists(marker));
    }
}
