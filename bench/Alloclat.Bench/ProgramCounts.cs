using System.Globalization;
using System.Text.Json.Nodes;
using Alloclat.Bench;

/// <summary>
/// The kernel's own counters of one alloclat's BPF programs (<c>kernel.bpf_stats_enabled=1</c>): how many times each
/// ran and the BPF time it took. Unlike loop times these do not depend on what else the machine runs.
/// </summary>
static class BpfStats
{
    const string Sysctl = "/proc/sys/kernel/bpf_stats_enabled";

    /// <summary>Turns the kernel's per-program statistics on; disposing restores the previous setting.</summary>
    public static IDisposable Enable()
    {
        var before = File.ReadAllText(Sysctl).Trim();
        File.WriteAllText(Sysctl, "1");
        return new Restore(before);
    }

    sealed class Restore(string value) : IDisposable
    {
        public void Dispose() => File.WriteAllText(Sysctl, value);
    }

    static JsonArray Programs()
    {
        using var p = Proc.Start("bpftool", ["prog", "show", "-j"]);
        p.Wait(TimeSpan.FromSeconds(30));
        return JsonNode.Parse(string.Join('\n', p.StdoutLines))!.AsArray();
    }

    /// <summary>Ids of the BPF programs a process holds open (its fds' fdinfo), which are the programs it loaded.</summary>
    static HashSet<long> ProgramIds(int pid)
    {
        var ids = new HashSet<long>();
        foreach (var f in Directory.EnumerateFiles($"/proc/{pid}/fdinfo"))
        {
            try
            {
                foreach (var line in File.ReadLines(f))
                    if (line.StartsWith("prog_id:", StringComparison.Ordinal))
                        ids.Add(long.Parse(line[8..].Trim(), CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
            }
        }
        return ids;
    }

    /// <summary>Run count and run time of every BPF program the process <paramref name="pid"/> loaded (an alloclat collector unless told otherwise).</summary>
    public static Dictionary<string, (long Runs, long Ns)> Snapshot(int pid, bool alloclat = true)
    {
        var ids = ProgramIds(pid);
        var result = new Dictionary<string, (long Runs, long Ns)>();
        foreach (var p in Programs().Where(p => ids.Contains(p!["id"]!.GetValue<long>())))
        {
            var name = p!["name"]!.GetValue<string>();
            var (runs, ns) = result.GetValueOrDefault(name);
            result[name] = (runs + (p["run_cnt"]?.GetValue<long>() ?? 0), ns + (p["run_time_ns"]?.GetValue<long>() ?? 0));
        }
        if (alloclat && !result.ContainsKey("tp_enter_mmap"))
            throw new BenchException($"process {pid} holds no alloclat program");
        return result;
    }

    /// <summary>CPU time of every thread of a process so far (schedstat, ns).</summary>
    public static long CpuNs(int pid)
    {
        long sum = 0;
        foreach (var t in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                sum += long.Parse(File.ReadAllText(Path.Combine(t, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
        }
        return sum;
    }
}

sealed partial class BenchRun
{
    /// <summary>
    /// What the BPF side of alloclat runs while a Go program makes only small allocations (at the two collection rates
    /// of section 6), and while a process it does not trace takes faults and context switches: every alloclat program's
    /// run count and BPF time from the kernel's statistics, per million allocations and per collection, and the
    /// collector's own CPU time over the loop. Load-independent: counts do not change with the machine's load.
    /// </summary>
    JsonArray ProgramCounts()
    {
        Log("program run counts (bpf_stats)");
        var rows = new JsonArray();
        using var stats = BpfStats.Enable();
        long n = Quick ? 1_000_000 : 5_000_000;
        // gosmall by the machine's Go (1.19: the stop/start pair, two traps per pause) and by each newer release
        // (1.22+: one trap per pause, on startTheWorldWithSema's returns).
        var programs = new List<(string Go, string Path)> { ("Go", Prog("gosmall")) };
        foreach (var v in GoReleases)
            programs.Add(($"Go {v}", Prog($"gosmall-go{v}")));
        foreach (var (go, path) in programs)
            foreach (var (heap, liveMb) in new[] { ("200 MiB live heap", "200"), ("4 MiB heap", "0") })
                rows.Add(GoCounts($"{go}, {heap}", path, n, liveMb));
        rows.Add(ElsewhereCounts());
        return rows;
    }

    /// <summary>The Go releases bench/bench.mk builds gosmall with besides the machine's own (GO_VERSIONS).</summary>
    static readonly string[] GoReleases = ["1.22", "1.24", "1.26", "1.27"];

    JsonObject GoCounts(string label, string program, long n, string liveMb)
    {
        var env = new Dictionary<string, string> { ["BENCH_LIVE_MB"] = liveMb, ["BENCH_HOLD_END"] = "1" };
        using var go = Proc.Start(program, [n.ToString(CultureInfo.InvariantCulture)], env, hold: true);
        PidTool.WaitHeld(go.Id, program);
        var lp = TempFile("lp");
        using var a = Proc.Start(AlloclatPath, ["record", "-q", "-o", lp, "-p", go.Id.ToString(CultureInfo.InvariantCulture)]);
        if (!a.WaitForLine(l => l.StartsWith("[INFO] tracing", StringComparison.Ordinal), TimeSpan.FromSeconds(60)))
            throw new BenchException($"alloclat did not start tracing {label}:\n{Tracer.Tail(a.AllOutput())}");
        // Past the collector's first interval report: the loop sees the collector's steady state.
        Thread.Sleep(1500);
        var before = BpfStats.Snapshot(a.Id);
        long cpu0 = BpfStats.CpuNs(a.Id);
        go.Release();
        if (!go.WaitForLine(l => l.StartsWith("gc_count ", StringComparison.Ordinal), RunTimeout))
            throw new BenchException($"{label} did not finish its loop:\n{Tracer.Tail(go.AllOutput())}");
        var end = BpfStats.Snapshot(a.Id);
        long cpu1 = BpfStats.CpuNs(a.Id);
        go.Release();
        go.Wait(RunTimeout);
        a.Interrupt();
        a.Wait(TimeSpan.FromSeconds(30));
        File.Delete(lp);
        long loop = Tracer.LoopNs(go, label);
        long gcs = long.Parse(go.StdoutLines.First(l => l.StartsWith("gc_count ", StringComparison.Ordinal))[9..], CultureInfo.InvariantCulture);
        var row = CountsRow(label, before, end, n / 1e6, gcs);
        row["allocations"] = n;
        row["collections"] = gcs;
        row["loop_ms"] = Math.Round(loop / 1e6, 1);
        row["collector_cpu_ms"] = Math.Round((cpu1 - cpu0) / 1e6, 1);
        _table.Add($"  {label}: {n} allocations, {gcs} collections, loop {loop / 1e6:0} ms, collector CPU {(cpu1 - cpu0) / 1e6:0.0} ms");
        return row;
    }

    JsonObject ElsewhereCounts()
    {
        long pages = Quick ? 50_000 : 200_000, switches = Quick ? 20_000 : 50_000;
        string label = $"not traced: {pages} faults + {switches} round trips";
        using var other = Proc.Start("/bin/sleep", ["3600"]);
        var lp = TempFile("lp");
        using var a = Proc.Start(AlloclatPath, ["record", "-q", "-o", lp, "-p", other.Id.ToString(CultureInfo.InvariantCulture)]);
        if (!a.WaitForLine(l => l.StartsWith("[INFO] tracing", StringComparison.Ordinal), TimeSpan.FromSeconds(60)))
            throw new BenchException($"alloclat did not start tracing the other process:\n{Tracer.Tail(a.AllOutput())}");
        using var w = Proc.Start(Prog("fault_switch"), [pages.ToString(CultureInfo.InvariantCulture), switches.ToString(CultureInfo.InvariantCulture)], hold: true);
        PidTool.WaitHeld(w.Id, Prog("fault_switch"));
        var before = BpfStats.Snapshot(a.Id);
        w.Release();
        if (w.Wait(RunTimeout).ExitCode != 0)
            throw new BenchException($"fault_switch failed (exit {w.ExitCode}):\n{Tracer.Tail(w.AllOutput())}");
        var end = BpfStats.Snapshot(a.Id);
        a.Interrupt();
        a.Wait(TimeSpan.FromSeconds(30));
        File.Delete(lp);
        var row = CountsRow(label, before, end, 0, 0);
        row["loop_ms"] = Math.Round(Tracer.LoopNs(w, label) / 1e6, 1);
        return row;
    }

    /// <summary>The programs that ran between two snapshots: runs, ns per run, and runs per unit of work.</summary>
    JsonObject CountsRow(string label, Dictionary<string, (long Runs, long Ns)> before, Dictionary<string, (long Runs, long Ns)> end,
        double millions, long gcs)
    {
        var progs = new JsonArray();
        _table.Add($"Program runs during {label} (bpf_stats; every process on the host)");
        foreach (var (name, (runs1, ns1)) in end.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var (runs0, ns0) = before.GetValueOrDefault(name);
            long runs = runs1 - runs0, ns = ns1 - ns0;
            if (runs == 0)
                continue;
            progs.Add(new JsonObject
            {
                ["program"] = name,
                ["runs"] = runs,
                ["ns_per_run"] = Math.Round((double)ns / runs, 0),
                ["bpf_ms"] = Math.Round(ns / 1e6, 2),
                ["per_million_allocations"] = millions > 0 ? Math.Round(runs / millions, 1) : null,
                ["per_collection"] = gcs > 0 ? Math.Round((double)runs / gcs, 2) : null,
            });
            _table.Add($"  {name,-26} {runs,10} runs {(double)ns / runs,7:0} ns/run" +
                       (millions > 0 ? $" {runs / millions,10:0.0}/M allocations" : "") + (gcs > 0 ? $" {(double)runs / gcs,8:0.00}/GC" : ""));
        }
        return new JsonObject { ["workload"] = label, ["programs"] = progs };
    }

    /// <summary>Section 8 of BENCHMARKS.md.</summary>
    string ProgramCountsMarkdown()
    {
        if (_results["program_counts"] is not JsonArray rows)
            return "";
        var sb = new System.Text.StringBuilder();
        sb.Append("\n## 8. What runs in the kernel: program run counts\n\n" +
                  "Every alloclat BPF program's run count and BPF time (`kernel.bpf_stats_enabled=1`, read with bpftool before and " +
                  "after the workload's loop; the syscall and process-lifecycle tracepoints count every process on the host, so a " +
                  "quiet machine shows the workload's own). Counts do not depend on the machine's load; ns per run does a little. " +
                  "`gosmall` (built by the machine's Go and by each newer release of the Go matrix) is traced by PID (`-p`) at the two " +
                  "collection rates of section 6: Go before 1.22 has its pauses measured by the `go_stw_begin`/`go_stw_end` pair " +
                  "(four traps per collection), 1.22 and later by `go_stw_done` alone (two); `fault_switch` is not traced while " +
                  "alloclat traces a sleeping process. *collector CPU* is the collector's own CPU time over the loop (all threads).\n\n" +
                  "| workload | program | runs | ns/run | per 1 M allocations | per collection |\n| --- | --- | ---: | ---: | ---: | ---: |\n");
        foreach (var r in rows)
        {
            string head = $"{r!["workload"]}" + (r["loop_ms"] is JsonNode l ? $" (loop {l} ms" +
                (r["collections"] is JsonNode c ? $", {c} collections, collector CPU {r["collector_cpu_ms"]} ms)" : ")") : "");
            foreach (var p in r["programs"]!.AsArray())
            {
                sb.Append($"| {head} | `{p!["program"]}` | {p["runs"]} | {p["ns_per_run"]} | {p["per_million_allocations"]} | {p["per_collection"]} |\n");
                head = "";
            }
        }
        return sb.ToString();
    }
}
