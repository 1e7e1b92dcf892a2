using Tracer.Probes;

namespace Tracer.Probes.Tests;

/// <summary>
/// The held command: <see cref="LaunchedCommand.Start"/> returns with the shell already waiting on its FIFO (its
/// exec and start-up over, so a mark "trace from the next exec" can only be taken by the command's exec), and the
/// command runs only once released.
/// </summary>
public class LaunchedCommandTests
{
    private static string? FifoHeldBy(int pid)
    {
        foreach (var fd in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            var target = new FileInfo(fd).LinkTarget;
            if (target is not null && target.EndsWith("/release", StringComparison.Ordinal))
                return target;
        }
        return null;
    }

    [Fact]
    public async Task StartReturnsWithTheShellWaitingOnItsFifoAndReleaseRunsTheCommand()
    {
        string marker = Path.Combine(Path.GetTempPath(), $"alloclat-launched-{Guid.NewGuid():N}");
        using var command = LaunchedCommand.Start(["/bin/sh", "-c", $"echo ran > {marker}"]);
        Assert.NotNull(FifoHeldBy(command.Pid));
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
