using System.Globalization;
using System.Text.Json.Nodes;
using Alloclat.Bench;

sealed partial class BenchRun
{
    /// <summary>
    /// What --precise adds per traced call, without timing anything: the BPF time of every program that ran
    /// (<c>kernel.bpf_stats_enabled=1</c>) and the collector's own CPU time, per malloc+free of glibc 1 MiB, for
    /// alloclat --precise with the kernel's histograms (the default), with one event per call
    /// (--no-kernel-histograms), and bpftrace's latency histograms of malloc, and of malloc and free. The uprobe traps
    /// themselves (the empty-probe floor) are the same for all and in neither figure; the loop time per call is given
    /// too, but it depends on the machine's load.
    /// </summary>
    JsonArray PreciseCost()
    {
        Log("precise cost per call: BPF time (bpf_stats) and collector CPU");
        var rows = new JsonArray();
        using var stats = BpfStats.Enable();
        long n = Quick ? 3000 : 20000;
        // The tools take turns, round after round: this VM's speed drifts by half over seconds to minutes, and a
        // median over interleaved rounds holds each tool against the others under the same drift.
        int rounds = Quick ? 1 : 5;
        _table.Add($"Per traced call under --precise, load-independent: BPF ns (bpf_stats) and tool CPU ns per malloc+free of glibc 1 MiB ({n} pairs, median of {rounds} interleaved rounds, min-max)");
        _table.Add($"  {"tool",-44} {"uprobe BPF ns/pair",19} {"BPF ns/call",20} {"tool CPU ns/pair",17} {"loop ns/pair",13}  uprobe programs (runs x ns/run, last round)");
        // Calls timed per pair: alloclat times the malloc and the free of a traced block; the bpftrace rows time
        // malloc alone, and malloc and free (the free of every block: this program frees only the 1 MiB ones).
        var tools = new (string Name, int CallsPerPair, Func<int, string[]> Command, string File, Func<string, bool> Ready)[]
        {
            ("alloclat --precise", 2, pid => ["record", "-q", "--precise", "-o", TempFile("lp"), "-p", Pid(pid)], AlloclatPath, TracingLine),
            ("alloclat --precise --no-kernel-histograms", 2, pid => ["record", "-q", "--precise", "--no-kernel-histograms", "-o", TempFile("lp"), "-p", Pid(pid)], AlloclatPath, TracingLine),
            ("bpftrace (hist of malloc, 32 KiB filter)", 1, pid => ["-B", "line", "-p", Pid(pid), "-e",
                $"uprobe:{Libc}:malloc /pid == {pid} && arg0 >= 32768/ {{ @start[tid] = nsecs; }} " +
                $"uretprobe:{Libc}:malloc /@start[tid]/ {{ @ns = hist(nsecs - @start[tid]); delete(@start[tid]); }} BEGIN {{ printf(\"ready\\n\"); }}"],
                "bpftrace", l => l == "ready"),
            ("bpftrace (hist of malloc and free)", 2, pid => ["-B", "line", "-p", Pid(pid), "-e",
                $"uprobe:{Libc}:malloc /pid == {pid} && arg0 >= 32768/ {{ @start[tid] = nsecs; }} " +
                $"uretprobe:{Libc}:malloc /@start[tid]/ {{ @ns = hist(nsecs - @start[tid]); delete(@start[tid]); }} " +
                $"uprobe:{Libc}:free /pid == {pid} && arg0 != 0/ {{ @fstart[tid] = nsecs; }} " +
                $"uretprobe:{Libc}:free /@fstart[tid]/ {{ @free_ns = hist(nsecs - @fstart[tid]); delete(@fstart[tid]); }} BEGIN {{ printf(\"ready\\n\"); }}"],
                "bpftrace", l => l == "ready"),
        };
        var measured = tools.Select(_ => new List<PreciseCostRun>()).ToArray();
        for (int round = 0; round < rounds; round++)
            for (int t = 0; t < tools.Length; t++)
                measured[t].Add(PreciseCostRound(tools[t].Name, tools[t].Command, tools[t].File, tools[t].Ready, n));
        for (int t = 0; t < tools.Length; t++)
        {
            var (name, callsPerPair, _, _, _) = tools[t];
            var runs = measured[t];
            double bpfPerPair = Median(runs.Select(r => r.BpfNs / n)), cpuPerPair = Median(runs.Select(r => r.CpuNs / n));
            double loopPerPair = Median(runs.Select(r => r.LoopNs / n));
            var perCall = runs.Select(r => r.BpfNs / n / callsPerPair).ToList();
            double bpfPerCall = Median(perCall);
            var last = runs[^1];
            rows.Add(new JsonObject
            {
                ["tool"] = name,
                ["pairs"] = n,
                ["rounds"] = rounds,
                ["uprobe_bpf_ns_per_pair"] = Math.Round(bpfPerPair, 0),
                ["calls_per_pair"] = callsPerPair,
                ["uprobe_bpf_ns_per_call"] = Math.Round(bpfPerCall, 0),
                ["uprobe_bpf_ns_per_call_min"] = Math.Round(perCall.Min(), 0),
                ["uprobe_bpf_ns_per_call_max"] = Math.Round(perCall.Max(), 0),
                ["tool_cpu_ns_per_pair"] = Math.Round(cpuPerPair, 0),
                ["loop_ns_per_pair"] = Math.Round(loopPerPair, 0),
                ["programs"] = last.Programs,
            });
            string range = $"{bpfPerCall:0} ({perCall.Min():0}-{perCall.Max():0})";
            _table.Add($"  {name,-44} {bpfPerPair,19:0} {range,20} {cpuPerPair,17:0} {loopPerPair,13:0}  {last.Parts}");
        }
        _table.Add("");
        return rows;
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>What one tool's run over <paramref name="n"/> pairs of one round cost: BPF ns, CPU ns and loop ns in all.</summary>
    sealed record PreciseCostRun(double BpfNs, double CpuNs, double LoopNs, JsonArray Programs, string Parts);

    /// <summary>
    /// One tool traces one run of <c>large_alloc</c>. alloclat's own calibration calls while tracing
    /// (ProbeCostTracker, in the collector's process) run the same programs: each program's BPF time is its time per
    /// run over every run, times the runs the target's pairs make (an entry per call, a return per call).
    /// </summary>
    PreciseCostRun PreciseCostRound(string name, Func<int, string[]> command, string file, Func<string, bool> ready, long n)
    {
        using var target = Proc.Start(Prog("large_alloc"), ["1048576", n.ToString(CultureInfo.InvariantCulture)],
            new Dictionary<string, string> { ["BENCH_HOLD_END"] = "1" }, hold: true);
        PidTool.WaitHeld(target.Id, Prog("large_alloc"));
        using var tool = Proc.Start(file, command(target.Id));
        if (!tool.WaitForLine(ready, TimeSpan.FromSeconds(90)))
            throw new BenchException($"{name} did not get ready:\n{Tracer.Tail(tool.AllOutput())}");
        // The tool's CPU while the target waits: what it spends with nothing to trace (polling, its interval
        // reports, alloclat's calibration calls), taken out of the figure below.
        Thread.Sleep(1500);
        long idle0 = BpfStats.CpuNs(tool.Id);
        Thread.Sleep(1000);
        long idle1 = BpfStats.CpuNs(tool.Id);
        var before = BpfStats.Snapshot(tool.Id, alloclat: false);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        target.Release();
        if (!target.WaitForLine(l => l.StartsWith("loop_ns ", StringComparison.Ordinal), RunTimeout))
            throw new BenchException($"large_alloc under {name} did not finish its loop:\n{Tracer.Tail(target.AllOutput())}");
        // The collector reads what the kernel counted at its next interval's end: its CPU is taken after that.
        Thread.Sleep(1200);
        var end = BpfStats.Snapshot(tool.Id, alloclat: false);
        long cpu1 = BpfStats.CpuNs(tool.Id);
        double busyNs = cpu1 - idle1 - (idle1 - idle0) * clock.Elapsed.TotalSeconds;
        target.Release();
        target.Wait(RunTimeout);
        tool.Interrupt();
        tool.Wait(TimeSpan.FromSeconds(60));
        long loop = Tracer.LoopNs(target, name);
        var progs = new JsonArray();
        double bpfNs = 0;
        var parts = new List<string>();
        bool alloclat = file != "bpftrace";
        foreach (var (prog, (runs1, ns1)) in end.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var (runs0, ns0) = before.GetValueOrDefault(prog);
            long runs = runs1 - runs0, ns = ns1 - ns0;
            if (runs == 0)
                continue;
            // The syscall and lifecycle tracepoints run for every process on the host: only the uprobes are the calls'.
            if (alloclat && !prog.StartsWith("alloc_", StringComparison.Ordinal))
                continue;
            double perRun = (double)ns / runs;
            long targetRuns = alloclat ? Math.Min(runs, n * (prog == "alloc_exit" ? 2 : 1)) : runs;
            bpfNs += perRun * targetRuns;
            progs.Add(new JsonObject { ["program"] = prog, ["runs"] = runs, ["ns_per_run"] = Math.Round(perRun, 0) });
            parts.Add($"{prog} {runs} x {perRun:0}");
        }
        return new PreciseCostRun(bpfNs, busyNs, loop, progs, string.Join(", ", parts));
    }

    static string Pid(int pid) => pid.ToString(CultureInfo.InvariantCulture);

    static bool TracingLine(string l) => l.StartsWith("[INFO] tracing", StringComparison.Ordinal);

    /// <summary>The section of BENCHMARKS.md for <see cref="PreciseCost"/>.</summary>
    string PreciseCostMarkdown()
    {
        if (_results["precise_cost"] is not JsonArray rows)
            return "";
        var sb = new System.Text.StringBuilder();
        sb.Append("\n## What --precise adds per call, load-independent\n\n" +
                  "Per malloc+free of glibc 1 MiB (`large_alloc`, traced by PID): the BPF time of the uprobe programs " +
                  "(`kernel.bpf_stats_enabled=1`; the syscall tracepoints run for every process on the host and are left out) and " +
                  "the tool's own CPU time (all threads, from schedstat, less what it spends idle over the same time), both divided " +
                  "by the pairs; each figure is the median of interleaved rounds (the tools take turns), with its range. alloclat's " +
                  "calibration calls while tracing run the same programs in its own process: its programs' time per run is counted " +
                  "for the target's runs only. The uprobe traps (the empty-probe floor of the large-allocation table) are the same for every tool " +
                  "and in neither figure. alloclat probes malloc and free (the free of a large block is measured too); the bpftrace " +
                  "rows time malloc alone, and malloc and free, with its own latency histograms in the kernel. The loop time per " +
                  "pair depends on the machine's load.\n\n" +
                  "BPF ns/call divides by the calls each tool times per pair (alloclat: malloc and free; bpftrace: as its row says).\n\n" +
                  "| tool | uprobe BPF ns/pair | BPF ns/call (range) | tool CPU ns/pair | loop ns/pair | uprobe programs, last round (runs × ns/run) |\n| --- | ---: | ---: | ---: | ---: | --- |\n");
        foreach (var r in rows)
        {
            var progs = string.Join(", ", r!["programs"]!.AsArray().Select(p => $"`{p!["program"]}` {p["runs"]} × {p["ns_per_run"]}"));
            sb.Append($"| {r["tool"]} | {r["uprobe_bpf_ns_per_pair"]} | {r["uprobe_bpf_ns_per_call"]} ({r["uprobe_bpf_ns_per_call_min"]}-{r["uprobe_bpf_ns_per_call_max"]}) | {r["tool_cpu_ns_per_pair"]} | {r["loop_ns_per_pair"]} | {progs} |\n");
        }
        return sb.ToString();
    }
}
