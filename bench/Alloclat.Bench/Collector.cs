using System.Globalization;
using System.Text.Json.Nodes;
using Alloclat.Bench;

sealed partial class BenchRun
{
    static readonly long ClockTicks = long.Parse(Sh("getconf CLK_TCK"), CultureInfo.InvariantCulture);

    /// <summary>utime+stime in clock ticks and VmHWM in KiB of a live process; null once it is gone.</summary>
    static (long Ticks, long HwmKb)? Sample(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which may itself hold spaces and parentheses.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long ticks = long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
            long hwm = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    hwm = long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            return (ticks, hwm);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Voluntary context switches of the collector's thread named <paramref name="comm"/>: how often it slept and was woken.</summary>
    static long? ThreadWakeups(int pid, string comm)
    {
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                if (File.ReadAllText($"{task}/comm").Trim() != comm)
                    continue;
                foreach (var line in File.ReadLines($"{task}/status"))
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                        return long.Parse(line[24..].Trim(), CultureInfo.InvariantCulture);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return null;
    }

    static int? ChildNamed(int parent, string comm)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
                continue;
            try
            {
                var stat = File.ReadAllText($"{dir}/stat");
                int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
                if (stat[(open + 1)..close] != comm)
                    continue;
                var rest = stat[(close + 2)..].Split(' ');
                if (int.Parse(rest[1], CultureInfo.InvariantCulture) == parent)
                    return pid;
            }
            catch (IOException)
            {
            }
        }
        return null;
    }

    // One storm thread leaves a core to the collector; one per CPU makes it compete with the traced threads.
    JsonArray Throughput() =>
        new(new[] { 1, Environment.ProcessorCount }.Distinct().Select(t => (JsonNode)Throughput(t)).ToArray());

    JsonObject Throughput(int threads)
    {
        Log($"collector throughput: mmap/munmap storm, {threads} thread(s)");
        int ms = Quick ? 1500 : 3000;
        int runs = Quick ? 1 : 3;
        var storm = Prog("mmap_storm");
        string[] args = [threads.ToString(CultureInfo.InvariantCulture), ms.ToString(CultureInfo.InvariantCulture), "1048576"];

        static long Pairs(CapturedProcess p) => long.Parse(p.StdoutLines.First(l => l.StartsWith("pairs ", StringComparison.Ordinal))[6..], CultureInfo.InvariantCulture);

        var untraced = new Series();
        var traced = new Series();
        var eventsPerS = new Series();
        var cpu = new Series();
        long lost = 0, inflightDropped = 0, hwmKb = 0, events = 0, expected = 0, measured = 0, wakeups = 0;
        for (int r = 0; r < runs; r++)
        {
            Log($"storm {r + 1}/{runs} untraced");
            using (var p = Proc.Start(storm, args))
            {
                p.Wait(RunTimeout);
                untraced.Add(Pairs(p) * 1000.0 / ms);
            }
            Log($"storm {r + 1}/{runs} under alloclat");
            var lp = TempFile("lp");
            using var a = Proc.Start(AlloclatPath, ["record", "-q", "-o", lp, "--", storm, .. args]);
            (long Ticks, long HwmKb)? first = null, last = null;
            DateTime firstAt = default, lastAt = default;
            int? stormPid = null;
            long runWakeups = 0;
            while (!a.HasExited)
            {
                var s = Sample(a.Id);
                if (s is null)
                    break;
                stormPid ??= ChildNamed(a.Id, "mmap_storm");
                bool stormRunning = stormPid is int sp && Directory.Exists($"/proc/{sp}") && !File.ReadAllText($"/proc/{sp}/stat").Contains(") Z");
                if (stormRunning)
                {
                    if (first is null)
                    {
                        first = s;
                        firstAt = DateTime.UtcNow;
                    }
                    last = s;
                    lastAt = DateTime.UtcNow;
                }
                hwmKb = Math.Max(hwmKb, s.Value.HwmKb);
                if (ThreadWakeups(a.Id, "alloclat-poll") is long wk)
                    runWakeups = wk;
                Thread.Sleep(50);
            }
            if (a.Wait(RunTimeout).ExitCode != 0)
                throw new BenchException($"alloclat on mmap_storm failed:\n{Tracer.Tail(a.AllOutput())}");
            long pairs = Pairs(a);
            traced.Add(pairs * 1000.0 / ms);
            var points = LineProtocol.Read(lp);
            var stats = points.Where(p => p.Measurement == "alloclat_stats").ToList();
            long runEvents = stats.Sum(p => p.Field("events"));
            lost += stats.Sum(p => p.Field("lost"));
            inflightDropped += stats.Sum(p => p.Field("inflight_dropped"));
            long counted = points.Where(p => p.Measurement == "alloc_latency" && p.Tag("comm") == "mmap_storm" && p.Tag("size_class") == "1M")
                .Sum(p => p.Field("count"));
            if (counted == 0)
                throw new BenchException("alloclat counted none of mmap_storm's calls");
            measured += counted;
            events += runEvents;
            wakeups += runWakeups;
            expected += 2 * pairs;
            eventsPerS.Add(runEvents * 1000.0 / ms);
            if (first is not null && last is not null && lastAt > firstAt)
                cpu.Add(100.0 * (last.Value.Ticks - first.Value.Ticks) / ClockTicks / (lastAt - firstAt).TotalSeconds);
            File.Delete(lp);
        }
        double slowdown = traced.Median / untraced.Median;
        _table.Add($"Collector throughput: {threads} threads of mmap+munmap (1 MiB, untouched) for {ms} ms, {runs} run(s)");
        _table.Add($"  untraced {untraced.Median:0} pairs/s; traced {traced.Median:0} pairs/s (x{slowdown:0.00}); " +
                   $"events handled {eventsPerS.Median:0}/s; calls measured {measured} of {expected} made; lost {lost}; inflight_dropped {inflightDropped}; " +
                   $"collector CPU {Range(cpu, "0")} %; peak RSS {hwmKb / 1024.0:0.0} MB; poll-thread wakeups per event {(events > 0 ? (double)wakeups / events : 0):0.00}");
        _table.Add("");
        return new JsonObject
        {
            ["threads"] = threads,
            ["duration_ms"] = ms,
            ["runs"] = runs,
            ["untraced_pairs_per_s"] = Figure(untraced, 0),
            ["traced_pairs_per_s"] = Figure(traced, 0),
            ["traced_over_untraced"] = Math.Round(slowdown, 3),
            ["events_per_s"] = Figure(eventsPerS, 0),
            ["events"] = events,
            ["syscalls_made"] = expected,
            ["calls_measured"] = measured,
            ["lost"] = lost,
            ["inflight_dropped"] = inflightDropped,
            ["collector_cpu_percent"] = Figure(cpu, 1),
            ["collector_peak_rss_mb"] = Math.Round(hwmKb / 1024.0, 1),
            // Sampled every 50 ms, so the last few before exit may be missing.
            ["poll_thread_wakeups"] = wakeups,
            ["poll_thread_wakeups_per_event"] = events > 0 ? Math.Round((double)wakeups / events, 3) : null,
        };
    }

    JsonObject Accuracy()
    {
        Log("accuracy: a malloc of known delay distribution under alloclat --precise");
        var lib = Prog("libdelaymalloc.so");
        var result = new JsonObject();
        _table.Add("Accuracy: alloclat --precise on an LD_PRELOAD malloc of known durations (ns; truth = measured inside the call)");
        _table.Add($"  {"distribution",-12} {"",-9} {"p50",10} {"p90",10} {"p99",10} {"p99.9",10} {"max",10} {"calls",8}");
        foreach (var (dist, n) in new[] { ("zero", Quick ? 5000L : 20000L), ("mixed", Quick ? 2000L : 6000L) })
        {
            var truthFile = TempFile("truth");
            var w = new Workload($"delaymalloc {dist}", Prog("large_alloc"), ["65536", n.ToString(CultureInfo.InvariantCulture)], n,
                new() { ["LD_PRELOAD"] = lib, ["DELAYMALLOC_DIST"] = dist, ["DELAYMALLOC_TRUTH"] = truthFile });
            var tracer = new AlloclatTool("alloclat --precise", "--precise", "--interval", "10m")
            {
                Expect = p => p.Tag("allocator") == "delaymalloc" && p.Tag("op") == "malloc",
                MinTraced = w => w.Count,
            };
            tracer.Execute(w, this);
            var pts = tracer.LastPoints.Where(p => p.Measurement == "alloc_latency" && p.Tag("allocator") == "delaymalloc" && p.Tag("op") == "malloc").ToList();
            if (pts.Count != 1)
                throw new BenchException($"expected one delaymalloc malloc point over the whole run, got {pts.Count}");
            var pt = pts[0];
            var truth = File.ReadAllLines(truthFile).Select(l => long.Parse(l, CultureInfo.InvariantCulture)).OrderBy(x => x).ToArray();
            if (truth.Length != pt.Field("count"))
                throw new BenchException($"alloclat counted {pt.Field("count")} calls, the allocator made {truth.Length}");
            var keys = new[] { ("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p999", 99.9), ("max", 100.0) };
            var t = new JsonObject();
            var rep = new JsonObject();
            var err = new JsonObject();
            foreach (var (k, p) in keys)
            {
                long tv = Stats.Percentile(truth, p), rv = pt.Field(k);
                t[k] = tv;
                rep[k] = rv;
                err[k] = rv - tv;
            }
            // The probes' own cost, calibrated at start and subtracted from every reported value.
            long probeCost = tracer.LastPoints.FirstOrDefault(p => p.Measurement == "alloclat_stats")?.Field("probe_cost_ns") ?? 0;
            result[dist] = new JsonObject { ["calls"] = truth.Length, ["probe_cost_ns"] = probeCost, ["truth_ns"] = t, ["reported_ns"] = rep, ["reported_minus_truth_ns"] = err };
            string Row(JsonObject o) => string.Join(' ', keys.Select(k => $"{(long)o[k.Item1]!,10}"));
            _table.Add($"  {dist,-12} {"truth",-9} {Row(t)} {truth.Length,8}");
            _table.Add($"  {"",-12} {"alloclat",-9} {Row(rep)}");
            _table.Add($"  {"",-12} {"error",-9} {Row(err)}");
            File.Delete(truthFile);
        }
        _table.Add("");
        return result;
    }

    JsonArray Attach()
    {
        Log("attach and detach: a program with many libraries");
        var prog = Prog("manylibs");
        int libs = Sh($"ldd '{prog}' | wc -l") is var s && int.TryParse(s, out var l) ? l : 0;
        var rows = new JsonArray();
        _table.Add($"Attach/detach: manylibs ({libs} shared objects mapped); ms, median of rounds (min–max)");
        _table.Add($"  {"tracer",-30} {"start → target runs",-24} {"target exit → tracer exit",-26}");
        var variants = new (string Name, string File, string[] Args)[]
        {
            ("untraced", prog, []),
            ("alloclat (default mode)", AlloclatPath, ["record", "-q", "-o", "LP", "--", prog]),
            ("alloclat --precise", AlloclatPath, ["record", "-q", "--precise", "-o", "LP", "--", prog]),
            ("bpftrace (uprobe libc malloc)", "bpftrace", ["-B", "line", "-e",
                $"uprobe:{Libc}:malloc /pid == cpid/ {{ @calls = count(); }}", "-c", prog]),
        };
        var attach = variants.ToDictionary(v => v.Name, _ => new Series());
        var detach = variants.ToDictionary(v => v.Name, _ => new Series());
        int rounds = Quick ? 1 : 3;
        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < variants.Length; i++)
            {
                var v = variants[(i + r) % variants.Length];
                var lp = TempFile("lp");
                Log($"round {r + 1}/{rounds}: manylibs under {v.Name}");
                var start = DateTime.UtcNow;
                using var p = Proc.Start(v.File, v.Args.Select(a => a == "LP" ? lp : a));
                int code = p.Wait(RunTimeout).ExitCode;
                var end = DateTime.UtcNow;
                if (code != 0)
                    throw new BenchException($"manylibs under {v.Name} failed:\n{Tracer.Tail(p.AllOutput())}");
                long Stamp(string key) =>
                    long.Parse(p.StdoutLines.First(o => o.StartsWith(key + " ", StringComparison.Ordinal))[(key.Length + 1)..], CultureInfo.InvariantCulture);
                var unixStart = (start - DateTime.UnixEpoch).Ticks * 100;
                var unixEnd = (end - DateTime.UnixEpoch).Ticks * 100;
                attach[v.Name].Add((Stamp("main_wall_ns") - unixStart) / 1e6);
                detach[v.Name].Add((unixEnd - Stamp("exit_wall_ns")) / 1e6);
                File.Delete(lp);
            }
        }
        foreach (var v in variants)
        {
            rows.Add(new JsonObject
            {
                ["tracer"] = v.Name,
                ["shared_objects"] = libs,
                ["start_to_target_running_ms"] = Figure(attach[v.Name], 1),
                ["target_exit_to_tracer_exit_ms"] = Figure(detach[v.Name], 1),
            });
            _table.Add($"  {v.Name,-30} {Range(attach[v.Name], "0"),-24} {Range(detach[v.Name], "0"),-26}");
        }
        _table.Add("");
        return rows;
    }
}
