using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Alloclat.Bench;

sealed partial class BenchRun
{
    /// <summary>What alloclat must reach: its exit after SIGTERM right after 300 --precise lifetimes.</summary>
    const double LifetimesExitTargetS = 2.0;

    /// <summary>
    /// A binary traced with --precise while a shell starts it N times (each start probed at exec, each exit
    /// releasing its probes): how long alloclat takes to exit on SIGTERM sent as the last start returns, against
    /// the same run with no start at all, its RSS and its link descriptors (BPF links, perf events) before and
    /// after, and when its guard, which takes over the links of exited processes at the exit, has removed them; then
    /// how long a forked child is held while its probes are placed.
    /// </summary>
    JsonObject Lifetimes()
    {
        var rows = new JsonArray();
        string dir = Path.Combine(_temp, "lifetimes");
        Directory.CreateDirectory(dir);
        string program = Path.Combine(dir, "lifetime_true");
        File.Copy("/bin/true", program, overwrite: true);
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _table.Add("Process lifetimes under --precise --binary: exit on SIGTERM right after the last one");
        _table.Add($"  {"starts",8} {"loop (s)",9} {"exit (s)",9} {"ratio",7} {"guard done (s)",15} {"RSS before→after (MB)",22} {"links+perf fds before→after loop",34}");
        double? baseline = null;
        foreach (int starts in new[] { 0, Quick ? 100 : 300 })
        {
            Log($"lifetimes: {starts} starts under alloclat --precise --binary");
            using var a = Proc.Start(AlloclatPath, ["record", "-q", "--precise", "-o", TempFile("lp"), "--binary", program]);
            if (!a.WaitForLine(l => l.Contains("[INFO] tracing ", StringComparison.Ordinal), TimeSpan.FromSeconds(60)))
                throw new BenchException($"alloclat did not start tracing: {a.AllOutput()}");
            long rss0 = RssKb(a.Id);
            var fds0 = LinkFds(a.Id);
            var loop = Stopwatch.StartNew();
            using (var sh = Proc.Start("/bin/sh", ["-c", $"i=0; while [ $i -lt {starts} ]; do \"$0\"; i=$((i+1)); done", program]))
                sh.Wait(TimeSpan.FromMinutes(10));
            double loopS = loop.Elapsed.TotalSeconds;
            long rss1 = RssKb(a.Id);
            var fds1 = LinkFds(a.Id);
            int? guard = GuardOf(a.Id);
            using var guardProcess = guard is int g ? Process.GetProcessById(g) : null;
            var exit = Stopwatch.StartNew();
            kill(a.Id, 15);
            a.Wait(TimeSpan.FromMinutes(10));
            double exitS = exit.Elapsed.TotalSeconds;
            // The guard is the collector's child; after its exit it belongs to init, and ends once it has closed what
            // it took. Its state is polled (a process that is not one's child cannot be waited for); a zombie has
            // ended, whenever init reaps it.
            while (guardProcess is not null && !Ended(guardProcess.Id) && exit.Elapsed < TimeSpan.FromMinutes(5))
                Thread.Sleep(20);
            double? guardS = guardProcess is null ? null : Math.Round(exit.Elapsed.TotalSeconds, 2);
            baseline ??= exitS;
            double ratio = exitS / baseline.Value;
            rows.Add(new JsonObject
            {
                ["starts"] = starts,
                ["loop_s"] = Math.Round(loopS, 2),
                ["exit_s"] = Math.Round(exitS, 2),
                ["exit_ratio_to_no_starts"] = Math.Round(ratio, 2),
                ["exit_target_s"] = starts == 0 ? null : LifetimesExitTargetS,
                ["exit_within_target"] = starts == 0 ? null : exitS < LifetimesExitTargetS,
                ["guard_done_s"] = guardS,
                ["rss_mb_before"] = Math.Round(rss0 / 1024.0, 1),
                ["rss_mb_after"] = Math.Round(rss1 / 1024.0, 1),
                ["bpf_link_fds_before"] = fds0.Links,
                ["perf_event_fds_before"] = fds0.PerfEvents,
                ["bpf_link_fds_after_loop"] = fds1.Links,
                ["perf_event_fds_after_loop"] = fds1.PerfEvents,
            });
            _table.Add($"  {starts,8} {loopS,9:0.00} {exitS,9:0.00} {ratio,7:0.00} {(guardS is double gs ? gs.ToString("0.00", CultureInfo.InvariantCulture) : "-"),15} {$"{rss0 / 1024.0:0.0}→{rss1 / 1024.0:0.0}",22} " +
                       $"{$"{fds0.Links}+{fds0.PerfEvents}→{fds1.Links}+{fds1.PerfEvents}",34}");
        }
        return new JsonObject { ["runs"] = rows, ["fork_hold"] = ForkHold() };
    }

    static bool Ended(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] == 'Z';
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>The pid of alloclat-guard among a process's children, if it has one.</summary>
    static int? GuardOf(int pid)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int child))
                continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int close = stat.LastIndexOf(')');
                string comm = stat[(stat.IndexOf('(') + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                if (comm == "alloclat-guard" && int.Parse(fields[1], CultureInfo.InvariantCulture) == pid)
                    return child;
            }
            catch (IOException)
            {
            }
        }
        return null;
    }

    /// <summary>
    /// A shell forking subshells (fork without exec) under --precise -v: each child is held before its first
    /// instruction until its parent's probes are placed in it, and -v says for how long (until the collector saw
    /// it, and placing the probes).
    /// </summary>
    JsonObject ForkHold()
    {
        int forks = Quick ? 30 : 100;
        Log($"lifetimes: {forks} forks of a shell under alloclat --precise");
        using var a = Proc.Start(AlloclatPath, ["record", "-v", "--precise", "-o", TempFile("lp"), "--",
            "/bin/bash", "-c", $"for i in $(seq {forks}); do ( : ); done"]);
        if (a.Wait(TimeSpan.FromMinutes(10)).ExitCode != 0)
            throw new BenchException($"alloclat --precise on a forking shell failed: {a.AllOutput()}");
        var held = a.StderrLines.Select(l => HeldLine().Match(l)).Where(m => m.Success)
            .Select(m => (Held: D(m.Groups[1].Value), Seen: D(m.Groups[2].Value), Placing: D(m.Groups[3].Value))).ToList();
        if (held.Count == 0)
            throw new BenchException($"no forked child was reported held: {a.AllOutput()}");
        var sorted = held.Select(h => h.Held).Order().ToArray();
        var result = new JsonObject
        {
            ["forks"] = held.Count,
            ["held_ms_p50"] = Math.Round(sorted[sorted.Length / 2], 1),
            ["held_ms_max"] = Math.Round(sorted[^1], 1),
            ["until_seen_ms_mean"] = Math.Round(held.Average(h => h.Seen), 1),
            ["placing_ms_mean"] = Math.Round(held.Average(h => h.Placing), 1),
        };
        _table.Add($"  forked children held: {held.Count}, p50 {result["held_ms_p50"]} ms, max {result["held_ms_max"]} ms " +
                   $"(mean {result["until_seen_ms_mean"]} ms until seen + {result["placing_ms_mean"]} ms placing probes)");
        return result;

        static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"\(held ([0-9.]+) ms: ([0-9.]+) ms until seen, ([0-9.]+) ms placing probes\)")]
    private static partial Regex HeldLine();

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    static long RssKb(int pid) => long.Parse(File.ReadLines($"/proc/{pid}/status")
        .First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    /// <summary>A process's BPF link descriptors, and its perf-event descriptors (tracepoints, perf-event uprobes).</summary>
    static (int Links, int PerfEvents) LinkFds(int pid)
    {
        var targets = Directory.EnumerateFiles($"/proc/{pid}/fd")
            .Select(fd => { try { return new FileInfo(fd).LinkTarget ?? ""; } catch (IOException) { return ""; } }).ToList();
        return (targets.Count(t => t == "anon_inode:bpf_link"), targets.Count(t => t == "anon_inode:[perf_event]"));
    }
}
