using System.Text.RegularExpressions;

namespace Alloclat.Tests;

/// <summary>
/// The live screen in a real terminal (tmux): redrawn in place, ordered by the chosen column, ended by q with the
/// run summary on the normal screen. The workload's malloc takes 20 ms (an LD_PRELOAD allocator), far slower
/// than glibc's free and the kernel's mmap, so the order by p99.9 is known.
/// </summary>
public class LiveScreenTests
{
    private const int Width = 120, Height = 40;

    private static string Command(string output) =>
        $"{Cli.Exe} record --precise --spike-threshold 10ms -o {output} -- env LD_PRELOAD={Cli.Workload("libslowalloc.so")} " +
        $"SLOWALLOC_NS=20000000 {Cli.Workload("alloc_workload")} 3000 0 0";

    private static int HeaderRow(string[] screen) => Array.FindIndex(screen, l => l.StartsWith("alloclat ", StringComparison.Ordinal));

    private static List<string> Rows(string[] screen) =>
        screen.SkipWhile(l => !l.TrimStart().StartsWith("PID COMM", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => Regex.IsMatch(l, @"^\s*\d+ ")).ToList();

    [Fact]
    public void TheScreenIsRedrawnInPlace_OrderedByTheChosenColumn_AndQEndsTheRunWithASummary()
    {
        string output = Cli.TempOutput();
        using var tmux = new Tmux(Command(output), Width, Height);

        // Redrawn in place: the header stays on the top row while its values change, and is never repeated.
        var first = tmux.WaitFor(s => HeaderRow(s) >= 0 && Rows(s).Any(r => r.Contains("slowalloc")), "the live screen with the slow series");
        Assert.Equal(0, HeaderRow(first));
        var second = tmux.WaitFor(s => HeaderRow(s) >= 0 && s[HeaderRow(s)] != first[0], "the header with new values");
        Assert.Equal(0, HeaderRow(second));
        Assert.Single(second, l => l.StartsWith("alloclat ", StringComparison.Ordinal));
        Assert.Matches(@"^alloclat \d\d:\d\d:\d\d  up \d+:\d\d  events/s \d+  lost 0  drops 0 inflight 0 sink  probe cost \d+(\.\d+)?(ns|us)/\d+(\.\d+)?(ns|us) subtracted$", second[0]);
        Assert.Contains("sorted by p99.9", second[1]);
        Assert.All(second, l => Assert.True(l.TrimEnd().Length <= Width, l));

        // Ordered by p99.9: the 20 ms malloc comes first.
        var rows = Rows(second);
        Assert.Matches(@"slowalloc\s+malloc\s+1M", rows[0]);

        // s cycles the order to pid: same pid, so allocator names decide, and slowalloc sorts last.
        foreach (var order in new[] { "p99", "p50", "max", "count", "pid" })
        {
            tmux.SendKeys("s");
            tmux.WaitFor(s => s.Length > 1 && s[1].Contains($"sorted by {order} "), $"the order {order}");
        }
        var byPid = tmux.WaitFor(s => Rows(s).Count >= 2 && Rows(s).Any(r => r.Contains("slowalloc")), "rows ordered by pid");
        var pidRows = Rows(byPid);
        Assert.DoesNotMatch("slowalloc", pidRows[0]);
        Assert.Matches(@"slowalloc\s+malloc", pidRows[^1]);

        // p pauses the screen: it says so and its clock stops.
        tmux.SendKeys("p");
        var paused = tmux.WaitFor(s => s[0].Contains("PAUSED"), "PAUSED in the header");
        tmux.SendKeys("p");
        tmux.WaitFor(s => !s[0].Contains("PAUSED") && s[0] != paused[0], "the screen running again");

        // A slow call is a readable line: time, process, pid, op, size, latency in ms, cause in words, frames.
        var withSpike = tmux.WaitFor(s => s.Any(l => Regex.IsMatch(l, @"^\d\d:\d\d:\d\d alloc_workload \d+ malloc 1M \d+(\.\d+)? ms  ")), "a spike line");
        Assert.Contains(withSpike, l => Regex.IsMatch(l, @"^\d\d:\d\d:\d\d alloc_workload \d+ malloc 1M \d+(\.\d+)? ms  .+  at run\+0x[0-9a-f]+ <- main\+0x[0-9a-f]+"));

        // q ends the run as Ctrl-C does: the command is interrupted, everything is written, the summary printed.
        tmux.SendKeys("q");
        var end = tmux.WaitFor(_ => tmux.ExitStatus() is not null, "alloclat exiting after q");
        var screen = tmux.Capture();
        Assert.Contains(screen, l => l.StartsWith("whole-run percentiles (merged interval histograms):", StringComparison.Ordinal));
        Assert.Contains(screen, l => Regex.IsMatch(l, @"slowalloc\s+malloc\s+1M\s+\d+"));
        Assert.DoesNotContain(screen, l => l.StartsWith("alloclat ", StringComparison.Ordinal));
        var points = LineProtocolFile.Read(output);
        Assert.Contains(points, p => p.Measurement == "alloc_latency_run" && p.Tags.GetValueOrDefault("allocator") == "slowalloc");
        long calls = points.Where(p => p.Measurement == "alloc_latency" && p.Tag("allocator") == "slowalloc").Sum(p => p["count"]);
        var run = points.Single(p => p.Measurement == "alloc_latency_run" && p.Tags.GetValueOrDefault("allocator") == "slowalloc");
        Assert.Equal(calls, run["count"]);
        Assert.True(calls < 3000, "q ended the run before the workload finished");
    }

    [Fact]
    public void PlainKeepsTheIntervalTablesOnATerminal()
    {
        string output = Cli.TempOutput();
        using var tmux = new Tmux($"{Cli.Exe} record --plain -o {output} -- {Cli.Workload("alloc_workload")} 5 0 0", Width, Height);
        tmux.WaitFor(_ => tmux.ExitStatus() is not null, "alloclat exiting");
        var screen = tmux.Capture();
        Assert.Contains(screen, l => Regex.IsMatch(l, @"^\d\d:\d\d:\d\d  events/s \d+  lost 0  inflight drops 0  sink drops 0  series \d+$"));
        Assert.Contains(screen, l => l.StartsWith("whole-run percentiles", StringComparison.Ordinal));
        Assert.Equal(0, tmux.ExitStatus());
    }
}
