using System.Text.RegularExpressions;

namespace Alloclat.Tests;

/// <summary>
/// An output file that cannot be written ends in one [ERROR] line naming the file and the system's reason, and exit
/// code 10. Read-only and full filesystems are real: tmpfs mounts in a private mount namespace.
/// </summary>
public class OutputErrorTests
{
    private const int OutputError = 10;

    private static string AssertOneError(CliResult r, string path, string reason)
    {
        Assert.True(r.ExitCode == OutputError, r.ToString());
        var error = Assert.Single(r.Stderr.Split('\n'), l => l.StartsWith("[ERROR] ", StringComparison.Ordinal));
        Assert.Contains(path, error);
        Assert.Contains(reason, error);
        Assert.DoesNotContain("   at ", r.Stderr);
        return error;
    }

    [Fact]
    public void AMissingDirectoryIsNamed()
    {
        string path = Path.Combine(Path.GetTempPath(), "alloclat-no-such-dir", "out.lp");
        AssertOneError(Cli.Run(["record", "-q", "-o", path, "--all", "--duration", "1s"]), path, "its directory does not exist (ENOENT)");
    }

    [Fact]
    public void ADirectoryIsNamed()
    {
        string dir = Directory.CreateTempSubdirectory("alloclat-outdir-").FullName;
        AssertOneError(Cli.Run(["record", "-q", "-o", dir, "--all", "--duration", "1s"]), dir, "it is a directory (EISDIR)");
    }

    [Fact]
    public void AReadOnlyFilesystemIsNamed()
    {
        string dir = Directory.CreateTempSubdirectory("alloclat-ro-").FullName;
        var r = Cli.RunIsolated($"mount -t tmpfs -o ro tmpfs {dir} && exec {Cli.Exe} record -q -o {dir}/out.lp --all --duration 1s");
        AssertOneError(r, $"{dir}/out.lp", "the filesystem is read-only (EROFS)");
    }

    /// <summary>/dev/full opens, and every write fails with ENOSPC: the file is given up at the first interval.</summary>
    [Fact]
    public void DevFullStopsFileWritesAndCountsEveryInterval()
    {
        var r = Cli.Run(["record", "-q", "-o", "/dev/full", "--all", "--interval", "200ms", "--duration", "1s"]);
        AssertOneError(r, "/dev/full", "no space left on the device (ENOSPC)");
        var m = Regex.Match(r.Stderr, @"\[INFO\] (\d+) of (\d+) intervals were not written to /dev/full");
        Assert.True(m.Success, r.ToString());
        Assert.Equal(m.Groups[2].Value, m.Groups[1].Value);
    }

    /// <summary>
    /// A 256 KiB filesystem that fills while tracing: file writes stop with the one line, the live table goes on to
    /// the last interval, and the intervals not written are counted: those before the failure are in the file.
    /// </summary>
    [Fact]
    public void AFilesystemFillingMidRunStopsFileWritesWhileTheTableGoesOn()
    {
        string dir = Directory.CreateTempSubdirectory("alloclat-full-").FullName;
        const int Intervals = 40;
        // 16 KiB are left, and the demo makes traffic enough to fill them in the run, whatever else the host does.
        var r = Cli.RunIsolated($"mount -t tmpfs -o size=256k tmpfs {dir} && head -c 240k /dev/zero > {dir}/filler && " +
            $"{{ {Cli.Demo} {Intervals / 10} >/dev/null 2>&1 & }} && " +
            $"exec {Cli.Exe} record -o {dir}/out.lp --all --interval 100ms --duration {Intervals / 10}s");
        AssertOneError(r, $"{dir}/out.lp", "no space left on the device (ENOSPC)");
        var m = Regex.Match(r.Stderr, @"\[INFO\] (\d+) of (\d+) intervals were not written to " + Regex.Escape($"{dir}/out.lp"));
        Assert.True(m.Success, r.ToString());
        int notWritten = int.Parse(m.Groups[1].Value), total = int.Parse(m.Groups[2].Value);
        Assert.InRange(notWritten, 1, total - 1);
        Assert.False(string.IsNullOrWhiteSpace(r.Stdout), "the live table stopped with the file");
    }
}
