using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>
/// Two collectors on the same process each count what one collector alone counts. Both stop the process when it
/// executes a new image; the process is stopped once, and continued only when the last of them has placed its
/// probes (the first to finish leaves the SIGCONT to the other), so neither misses the first calls of the image.
/// </summary>
public class TwoInstanceTests
{
    private const int Rounds = 3, Large = 20, Heap = 20;

    /// <summary>
    /// A shell waiting for a line on stdin, then running the workload <see cref="Rounds"/> times: each run is a new
    /// image executed by a traced process, a fresh chance for one collector to continue it before the other is ready.
    /// </summary>
    private static CapturedProcess StartShell() =>
        CapturedProcess.Start("/bin/sh",
            ["-c", $"read _ || exit 1; i=0; while [ $i -lt {Rounds} ]; do \"$0\" {Large} {Heap} 0 || exit 3; i=$((i+1)); done", Cli.Workload("alloc_workload")],
            input: true);

    private static CapturedProcess StartCollector(int pid, string output) =>
        Cli.Start(["record", "-q", "--precise", "-o", output, "-p", pid.ToString()]);

    /// <summary>Runs the shell under <paramref name="collectors"/> collectors; the counts each wrote, per op and size class.</summary>
    private static List<Dictionary<(string Op, string SizeClass), long>> Trace(int collectors)
    {
        using var shell = StartShell();
        var outputs = Enumerable.Range(0, collectors).Select(i => Cli.TempOutput($"c{i}.lp")).ToList();
        var running = outputs.Select(o => StartCollector(shell.Id, o)).ToList();
        try
        {
            foreach (var c in running)
                Cli.WaitUntilTracing(c);
            shell.WriteLine();
            shell.CloseInput();
            var (exit, printed, _) = shell.Wait(TimeSpan.FromMinutes(5));
            Assert.True(exit == 0, printed);
            Assert.Equal(Rounds, printed.Split('\n').Count(l => l == $"alloc_workload: done {5 * (Large + Heap)}"));
            foreach (var c in running)
            {
                // The target exited: each collector ends by itself, with its points written.
                var r = Cli.Wait(c, TimeSpan.FromSeconds(120));
                Assert.True(r.ExitCode == 7, r.ToString());
                Assert.DoesNotContain("[ERROR]", r.Stderr);
            }
        }
        finally
        {
            foreach (var c in running.Where(c => !c.HasExited))
                c.Kill();
        }
        return outputs.Select(o => LineProtocolFile.Counts(LineProtocolFile.Read(o), "glibc")).ToList();
    }

    [Fact]
    public void TwoPreciseCollectorsOnOneProcessEachCountWhatOneCounts()
    {
        var alone = Assert.Single(Trace(1));
        foreach (var f in new[] { "malloc", "calloc", "realloc", "aligned_alloc", "posix_memalign" })
        {
            Assert.Equal(Rounds * Large, alone[(f, "1M")]);
            Assert.Equal(Rounds * Heap, alone[(f, "32K")]);
        }
        Assert.Equal(Rounds * 5 * Large, alone[("free", "1M")]);

        var both = Trace(2);
        Assert.Equal(alone, both[0]);
        Assert.Equal(alone, both[1]);
    }
}
