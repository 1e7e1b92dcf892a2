using System.Globalization;
using System.Text.Json.Nodes;
using Alloclat.Bench;

/// <summary>Like <see cref="Untraced"/>, keeping the workload's output (the Go programs print their collection count).</summary>
sealed class UntracedWithOutput() : Tracer("untraced")
{
    public override Run Execute(Workload w, BenchRun b)
    {
        using var p = Proc.StartWorkload(w.File, w.Args, w.Env, hold: true);
        PidTool.WaitHeld(p.Id, w.File);
        p.Release();
        if (p.Wait(b.RunTimeout).ExitCode != 0)
            throw new BenchException($"{w.Name} failed (exit {p.ExitCode}):\n{Tail(p.AllOutput())}");
        return new Run(LoopNs(p, w.Name), 0, string.Join('\n', p.StdoutLines));
    }
}

/// <summary>
/// The workload is not traced: alloclat traces another process (a sleeping one, by PID) while the workload runs,
/// with its default probes and spike causes. What the workload pays is what alloclat costs the rest of the host.
/// </summary>
sealed class AlloclatElsewhere(string name, params string[] options) : Tracer(name)
{
    public override Run Execute(Workload w, BenchRun b)
    {
        using var other = Proc.Start("/bin/sleep", ["3600"]);
        var lp = b.TempFile("lp");
        using var a = Proc.StartTool(b.AlloclatPath, ["record", "-q", "-o", lp, "-p", other.Id.ToString(CultureInfo.InvariantCulture), .. options]);
        if (!a.WaitForLine(l => l.StartsWith("[INFO] tracing", StringComparison.Ordinal), TimeSpan.FromSeconds(60)))
            throw new BenchException($"alloclat did not start tracing the other process:\n{Tail(a.AllOutput())}");
        using var p = Proc.StartWorkload(w.File, w.Args, w.Env, hold: true);
        PidTool.WaitHeld(p.Id, w.File);
        p.Release();
        if (p.Wait(b.RunTimeout).ExitCode != 0)
            throw new BenchException($"{w.Name} failed (exit {p.ExitCode}):\n{Tail(p.AllOutput())}");
        long loop = LoopNs(p, w.Name);
        a.Interrupt();
        a.Wait(TimeSpan.FromSeconds(30));
        File.Delete(lp);
        return new Run(loop, 0, "");
    }
}

sealed partial class BenchRun
{
    /// <summary>A table of ratios to the untraced runs of the same rounds, one row per tracer.</summary>
    JsonArray Ratios(string section, Workload w, IReadOnlyList<Entry> entries, Func<Run, string>? extra = null)
    {
        var rounds = Interleave(entries, Rounds);
        var rows = new JsonArray();
        foreach (var e in entries)
        {
            var s = new Series();
            foreach (var round in rounds)
                if (e.BaselineKey is not null && round.TryGetValue(e.Key, out var run) && !run.TargetCrashed && run.LoopNs > 0)
                    s.Add((double)run.LoopNs / round[e.BaselineKey].LoopNs);
            string more = extra is null ? "" : string.Join("; ", rounds.Where(r => r.ContainsKey(e.Key)).Select(r => extra(r[e.Key])).Where(x => x.Length > 0).Distinct());
            rows.Add(new JsonObject
            {
                ["section"] = section,
                ["workload"] = w.Name,
                ["tracer"] = e.Tracer.Name,
                ["ratio"] = s.Values.Count > 0 ? Figure(s, 3) : null,
                ["baseline_loop_ms"] = e.BaselineKey is null ? Math.Round(Stats.Median(rounds.Select(r => r[e.Key].LoopNs / 1e6)), 1) : null,
                ["note"] = more,
            });
            _table.Add($"  {w.Name,-34} {e.Tracer.Name,-52} {(e.BaselineKey is null ? "1 (baseline)" : Range(s, "0.000")),-24} {more}");
        }
        return rows;
    }

    /// <summary>
    /// What each Go probe costs a program that allocates only small objects, at a service's collection rate (a live
    /// heap of 200 MiB: a few collections a second) and at an extreme one (a 4 MiB heap: hundreds a second). The
    /// floors put empty programs on exactly the sites alloclat uses (as its verbose listing gives them), one kind
    /// at a time, and on the stop-the-world functions' entry and returns, where a probe is single-stepped.
    /// </summary>
    JsonArray GoProbeCost()
    {
        Log("Go probes: cost by probe at two collection rates");
        _table.Add("Go probes, one by one: loop time / untraced (median of rounds, min–max), small allocations only");
        string[] Sites(Workload w, long? entry, List<long> returns) =>
            [.. (entry is { } e ? new[] { "-o", $"{w.File}:0x{e:x}" } : []), .. returns.SelectMany(r => new[] { "-o", $"{w.File}:0x{r:x}" })];
        static string Rate(Run r)
        {
            var line = r.Output.Split('\n').FirstOrDefault(l => l.StartsWith("gc_count ", StringComparison.Ordinal));
            return line is null || r.LoopNs == 0 ? "" : $"{long.Parse(line[9..], CultureInfo.InvariantCulture) * 1e9 / r.LoopNs:0} GC/s";
        }
        var rows = new JsonArray();
        long n = Quick ? 1_000_000 : 2_000_000;
        // The machine's Go (1.19), whose pauses alloclat measures with the stop/start pair, and Go 1.27, where one
        // probe on startTheWorldWithSema's returns does: both floors are run on it, beside alloclat itself.
        foreach (var (go, program) in new[] { ("Go", Prog("gosmall")), ("Go 1.27", Prog("gosmall-go1.27")) })
        {
            var (stwEntry, _) = GoProbeOffsets(program, "runtime.stopTheWorldWithSema");
            var (_, stwReturns) = GoProbeOffsets(program, "runtime.startTheWorldWithSema");
            var (pauseEntry, pauseExits) = AlloclatPauseSites(program);
            var (largeEntry, largeReturns) = GoProbeOffsets(program, go == "Go" ? GoLarge : "runtime.mallocgcLarge");
            foreach (var (heap, env) in new[] { ("200 MiB live heap", new Dictionary<string, string> { ["BENCH_LIVE_MB"] = "200" }), ("4 MiB heap", null) })
            {
                var w = new Workload($"{go}, {heap}", program, [n.ToString(CultureInfo.InvariantCulture)], n, env);
                var entries = new List<Entry>
                {
                    new("base", new UntracedWithOutput(), w, null),
                    new("stw", new Floor("floor: empty programs on the stop-the-world pair's entry and RETs (single-stepped)", FloorPath, x => Sites(x, stwEntry, stwReturns)), w, "base"),
                    new("stw-alloclat", new Floor(go == "Go"
                        ? "floor: empty programs on alloclat's pair sites (emulated: the entry's branch, the branch before the RET)"
                        : "floor: empty programs on alloclat's one site (emulated: the branch before startTheWorldWithSema's RET)",
                        FloorPath, x => Sites(x, pauseEntry, pauseExits)), w, "base"),
                };
                entries.Add(new("large", new Floor("floor: empty programs on the large-object path", FloorPath, x => Sites(x, largeEntry, largeReturns)), w, "base"));
                entries.Add(new("alloclat", new AlloclatTool("alloclat (default mode: stop-the-world, large path and syscalls)"), w, "base"));
                foreach (var r in Ratios("go_probes", w, entries, Rate))
                    rows.Add(r!.DeepClone());
            }
        }
        _table.Add("");
        return rows;
    }

    /// <summary>
    /// What alloclat costs a process it does not trace: a program heavy on page faults and context switches, run
    /// untraced and while alloclat traces another process (default probes and spike causes; and with
    /// --cause-mmap-lock, whose tracepoints fire on every mmap_lock acquisition of the host).
    /// </summary>
    JsonArray HostWide()
    {
        Log("host-wide: a process alloclat does not trace");
        _table.Add("A process alloclat does not trace: loop time while alloclat traces another / alone (median of rounds, min–max)");
        long pages = Quick ? 50_000 : 200_000, switches = Quick ? 20_000 : 50_000;
        var w = new Workload($"{pages} faults + {switches} round trips", Prog("fault_switch"),
            [pages.ToString(CultureInfo.InvariantCulture), switches.ToString(CultureInfo.InvariantCulture)], pages + switches);
        var entries = new List<Entry>
        {
            new("base", new Untraced(), w, null),
            new("alloclat", new AlloclatElsewhere("alloclat tracing another process"), w, "base"),
            new("mmap-lock", new AlloclatElsewhere("the same with --cause-mmap-lock", "--cause-mmap-lock"), w, "base"),
        };
        var rows = Ratios("host_wide", w, entries);
        _table.Add("");
        return rows;
    }

    /// <summary>Sections 6 and 7 of BENCHMARKS.md, from this run's figures.</summary>
    string CauseCostMarkdown()
    {
        var sb = new System.Text.StringBuilder();
        void Table(string key, string title, string text)
        {
            if (_results[key] is not JsonArray rows)
                return;
            sb.Append($"\n## {title}\n\n{text}\n\n| workload | tracer | loop time / untraced | note |\n| --- | --- | --- | --- |\n");
            foreach (var r in rows)
            {
                string ratio = r!["ratio"] is JsonObject o
                    ? $"{o["median"]!.GetValue<double>():0.000} ({o["min"]!.GetValue<double>():0.000}–{o["max"]!.GetValue<double>():0.000})"
                    : $"1 (baseline, {r["baseline_loop_ms"]} ms)";
                sb.Append($"| {r["workload"]} | {r["tracer"]} | {ratio} | {r["note"]} |\n");
            }
        }
        Table("go_probes", "6. Go probes one by one, at two collection rates",
            "`gosmall` makes only small allocations, with a live heap of 200 MiB (a collection per 200 MiB allocated: a " +
            "few a second) or with the runtime's minimum heap (hundreds a second; GC/s is measured by the program). " +
            "It is built by the machine's Go (1.19) and by Go 1.27. Floors put empty programs on exactly the sites alloclat " +
            "probes: the entry of `stopTheWorldWithSema` with the return instructions of `startTheWorldWithSema` (the pair " +
            "alloclat uses before Go 1.22), those return instructions alone (its one probe from 1.22), and the large-object " +
            "path (which small allocations never take).");
        Table("host_wide", "7. A process alloclat does not trace",
            "A program heavy on page faults and context switches, alone and while alloclat traces another process by PID " +
            "(default probes, spike causes on). Goal 1.00: no alloclat program runs on faults or context switches; the " +
            "syscall and process-lifecycle tracepoints see its few syscalls and return at once. `--cause-mmap-lock` adds " +
            "the mmap_lock tracepoints, which fire on every mmap_lock acquisition on the host.");
        return sb.ToString();
    }
}
