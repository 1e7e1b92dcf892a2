using System.Diagnostics;

namespace Alloclat.Tests;

/// <summary>
/// alloclat stops each target at exec until its new image is probed. However alloclat ends (SIGTERM, SIGINT, or
/// SIGKILL, which only the guard process can answer), no process may stay stopped: a shell starting a program in
/// a loop must run to its end, and no process of the program may be left in state T.
/// </summary>
public class ExecHoldTests
{
    private const int Starts = 60, KillAfter = 15;

    /// <summary>Every process in state T (stopped) on the host, by /proc/PID/stat.</summary>
    internal static List<(int Pid, string Comm)> StoppedProcesses()
    {
        var stopped = new List<(int, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
                continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            int close = stat.LastIndexOf(')');
            if (close > 0 && close + 2 < stat.Length && stat[close + 2] == 'T')
                stopped.Add((pid, stat[(stat.IndexOf('(') + 1)..close]));
        }
        return stopped;
    }

    internal static string ProgramCopy(string program = "/bin/true")
    {
        string dir = Directory.CreateTempSubdirectory("alloclat-hold-").FullName;
        // A name of this run's own (comm keeps 15 bytes): other runs on the host hold processes of their own.
        string copy = Path.Combine(dir, $"held_{Path.GetFileName(program)}_{Random.Shared.Next(0x10000):x4}");
        File.Copy(program, copy);
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return copy;
    }

    private static void AssertNothingLeftStopped(Churn churn, string program)
    {
        Assert.Equal(Starts, churn.WaitForEnd(TimeSpan.FromSeconds(60)));
        Assert.DoesNotContain(StoppedProcesses(), p => p.Comm == Path.GetFileName(program));
    }

    [Theory]
    [InlineData(15, 0)]      // SIGTERM: the lease is revoked, every held process continued, then the sinks flush
    [InlineData(2, 0)]       // SIGINT
    [InlineData(9, 128 + 9)] // SIGKILL: the guard continues what was held once the lease lapses
    public void NoProcessStartedUnderABinaryTraceIsLeftStopped(int signal, int exitCode)
    {
        string program = ProgramCopy();
        string output = Cli.TempOutput();
        // --precise: each start is held while uprobes go into its libc, as on a host being traced for real.
        var p = Cli.Start(["record", "-q", "--precise", "-o", output, "--binary", program]);
        Cli.WaitUntilTracing(p);
        using var churn = new Churn(program, Starts);
        churn.Go();
        churn.WaitForStarts(KillAfter);
        Tmds.Linux.LibC.kill(p.Id, signal);
        var result = Cli.Wait(p, TimeSpan.FromSeconds(120));
        Assert.True(result.ExitCode == exitCode, result.ToString());
        AssertNothingLeftStopped(churn, program);
        if (signal != 9)
            Assert.Contains(LineProtocolFile.Read(output), q => q.Measurement == "alloc_latency" && q.Tag("comm") == Path.GetFileName(program));
    }

    [Fact]
    public void NoChildOfAShellTracedByPidIsLeftStoppedAfterSigkill()
    {
        string program = ProgramCopy();
        using var churn = new Churn(program, Starts);
        var p = Cli.Start(["record", "-q", "--precise", "-o", Cli.TempOutput(), "-p", churn.Pid.ToString()]);
        Cli.WaitUntilTracing(p);
        churn.Go();
        churn.WaitForStarts(KillAfter);
        Tmds.Linux.LibC.kill(p.Id, 9);
        Assert.Equal(128 + 9, Cli.Wait(p, TimeSpan.FromSeconds(120)).ExitCode);
        AssertNothingLeftStopped(churn, program);
    }
}
