using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Alloclat.Bench;

sealed record Entry(string Key, Tracer Tracer, Workload Work, string? BaselineKey);

sealed partial class BenchRun
{
    /// <summary>
    /// Runs every entry once per round, in an order rotated each round, so a slow patch of the shared machine
    /// lands on different tracers; each figure is then taken against the baseline of its own round.
    /// A tracer that crashed its target or whose feature is pending is not run again.
    /// </summary>
    List<Dictionary<string, Run>> Interleave(IReadOnlyList<Entry> entries, int rounds, HashSet<string>? stopped = null)
    {
        stopped ??= new HashSet<string>();
        var result = new List<Dictionary<string, Run>>();
        for (int r = 0; r < rounds; r++)
        {
            var round = new Dictionary<string, Run>();
            for (int i = 0; i < entries.Count; i++)
            {
                var e = entries[(i + r) % entries.Count];
                if (stopped.Contains(e.Key))
                    continue;
                Log($"round {r + 1}/{rounds}: {e.Work.Name} under {e.Tracer.Name}");
                var run = e.Tracer.Execute(e.Work, this);
                round[e.Key] = run;
                if (run.TargetCrashed || (e.Tracer is AlloclatTool { PendingIfNone: true } && run.Traced == 0))
                    stopped.Add(e.Key);
            }
            result.Add(round);
        }
        return result;
    }

    static JsonObject Figure(Series s, int digits) => new()
    {
        ["median"] = Math.Round(s.Median, digits),
        ["min"] = Math.Round(s.Min, digits),
        ["max"] = Math.Round(s.Max, digits),
        ["rounds"] = s.Values.Count,
    };

    static string Range(Series s, string format) =>
        s.Values.Count == 0 ? "-" : $"{s.Median.ToString(format, CultureInfo.InvariantCulture)} ({s.Min.ToString(format, CultureInfo.InvariantCulture)}–{s.Max.ToString(format, CultureInfo.InvariantCulture)})";

    JsonArray FastPath()
    {
        Log("fast path: small allocations only");
        // Loops of about a second untraced: shorter ones are within the VM's own jitter.
        long cBig = Quick ? 10_000_000 : 100_000_000, cRef = Quick ? 50_000 : 200_000;
        long goBig = Quick ? 1_000_000 : 4_000_000, goRef = Quick ? 50_000 : 200_000;
        var c = Prog("small_alloc");
        var go = Prog("gosmall");
        var dotnet = Prog(Path.Combine("dotnetsmall", "dotnetsmall"));
        long dotnetBig = Quick ? 1_000_000 : 5_000_000;
        Workload W(string file, string name, long n) => new(name, file, [n.ToString(CultureInfo.InvariantCulture)], n);
        var rows = new JsonArray();
        _table.Add("Fast path: loop time traced / untraced (median of rounds, min–max), small allocations only");
        _table.Add($"  {"program",-10} {"tracer",-30} {"calls",10} {"ratio",-24} note");

        void Measure(string program, string file, long big, long refCount, IEnumerable<Tracer> refs)
        {
            var wBig = W(file, program, big);
            var wRef = W(file, program, refCount);
            var entries = new List<Entry>
            {
                new("base-big", new Untraced(), wBig, null),
                new("alloclat", new AlloclatTool("alloclat (default mode)"), wBig, "base-big"),
            };
            if (refs.Any())
                entries.Add(new("base-ref", new Untraced(), wRef, null));
            entries.AddRange(refs.Select(t => new Entry(t.Name, t, wRef, "base-ref")));
            var rounds = Interleave(entries, Rounds);
            foreach (var e in entries.Where(e => e.BaselineKey is not null))
            {
                var s = new Series();
                string? status = null;
                long traced = 0;
                foreach (var round in rounds)
                {
                    if (!round.TryGetValue(e.Key, out var run))
                        continue;
                    if (run.TargetCrashed)
                    {
                        status = "crashed the target: " + run.Output.Split('\n').FirstOrDefault(l => l.Length > 0);
                        continue;
                    }
                    traced = run.Traced;
                    s.Add((double)run.LoopNs / round[e.BaselineKey!].LoopNs);
                }
                var note = status ?? e.Tracer.Note ?? "";
                rows.Add(new JsonObject
                {
                    ["program"] = program,
                    ["tracer"] = e.Tracer.Name,
                    ["calls"] = e.Work.Count,
                    ["ratio"] = s.Values.Count > 0 ? Figure(s, 3) : null,
                    ["baseline_ns_per_call"] = Math.Round(Stats.Median(rounds.Select(r => (double)r[e.BaselineKey!].LoopNs / e.Work.Count)), 1),
                    ["tool_events"] = traced,
                    ["status"] = status ?? "ok",
                    ["note"] = note,
                });
                _table.Add($"  {program,-10} {e.Tracer.Name,-30} {e.Work.Count,10} {Range(s, "0.000"),-24} {note}");
            }
            // A .NET program is watched through its runtime's events: the run must have had its session open.
            if (program.StartsWith(".NET", StringComparison.Ordinal) && entries[1].Tracer is AlloclatTool tool &&
                !tool.LastPoints.Any(p => p.Measurement == "gc_pause" && p.Tag("runtime") == "dotnet"))
                throw new BenchException($"alloclat on {program} wrote no .NET gc_pause point: its EventPipe session was not open");
        }

        Measure("C (glibc)", c, cBig, cRef,
            new Tracer[] { BpftraceLibcMalloc(Libc, false) }.Concat(FunclatencyTools(_ => "c:malloc", _ => "c:malloc")));
        Measure(".NET (C#)", dotnet, dotnetBig, dotnetBig, []);
        Measure("Go", go, goBig, goRef,
            new Tracer[] { BpftraceGoEntry("runtime.mallocgc") }.Concat(
                FunclatencyTools(_ => ":runtime.mallocgc", w => $"{w.File}:runtime.mallocgc")));
        _table.Add("");
        return rows;
    }

    /// <summary>File offsets of a function's entry and its return instructions.</summary>
    static (long Entry, List<long> Returns) GoProbeOffsets(string binary, string function)
    {
        var dis = Sh($"objdump -d --no-show-raw-insn --disassemble='{function}' '{binary}'");
        var entry = Regex.Match(dis, @"^([0-9a-f]+) <", RegexOptions.Multiline);
        var rets = Regex.Matches(dis, @"^\s*([0-9a-f]+):\s+ret", RegexOptions.Multiline);
        if (!entry.Success || rets.Count == 0)
            throw new BenchException($"cannot find {function} or its return instructions in {binary}");
        var fileOffset = FileOffsets(binary);
        return (fileOffset(Convert.ToInt64(entry.Groups[1].Value, 16)),
            rets.Select(m => fileOffset(Convert.ToInt64(m.Groups[1].Value, 16))).ToList());
    }

    /// <summary>
    /// The file offsets alloclat puts its pause probes at in a Go binary, as its verbose listing gives them (a short
    /// traced run of the program with no allocations): the entry program's site and the exit program's.
    /// </summary>
    (long? Entry, List<long> Exits) AlloclatPauseSites(string binary)
    {
        using var a = Proc.Start(AlloclatPath, ["record", "-q", "-v", "--interval", "60s", "-o", TempFile("lp"), "--", binary, "0"]);
        a.Wait(RunTimeout);
        long? entry = null;
        var exits = new List<long>();
        var fileOffset = FileOffsets(binary);
        foreach (var line in a.StderrLines.Where(l => l.Contains(": probe ", StringComparison.Ordinal)))
        {
            if (line.Contains(", go_stw_begin", StringComparison.Ordinal) && Regex.Match(line, @"\(file offset 0x([0-9a-f]+)\)") is { Success: true } m)
                entry = Convert.ToInt64(m.Groups[1].Value, 16);
            if (Regex.Match(line, @", go_stw_(?:end|done), (?:exit site|\d+ RET sites?) ((?:0x[0-9a-f]+ ?)+)") is { Success: true } e)
                exits.AddRange(e.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(x => fileOffset(Convert.ToInt64(x[2..], 16))));
        }
        if (exits.Count == 0)
            throw new BenchException($"alloclat -v listed no pause probe for {binary}:\n{Tracer.Tail(a.AllOutput())}");
        return (entry, exits);
    }

    /// <summary>A binary's virtual addresses to file offsets, through the loadable segment that holds each (read once).</summary>
    static Func<long, long> FileOffsets(string binary)
    {
        var segments = Regex.Matches(Sh($"readelf -lW '{binary}'"),
                @"LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)")
            .Select(m => (Offset: Convert.ToInt64(m.Groups[1].Value, 16), Vaddr: Convert.ToInt64(m.Groups[2].Value, 16),
                Size: Convert.ToInt64(m.Groups[3].Value, 16)))
            .ToList();
        return va => segments.FirstOrDefault(s => va >= s.Vaddr && va < s.Vaddr + s.Size) is { Size: > 0 } s
            ? va - s.Vaddr + s.Offset
            : throw new BenchException($"address 0x{va:x} is in no segment of {binary}");
    }

    static IEnumerable<string> TracepointArgs() =>
        SyscallTracepoints.SelectMany(s => new[] { "-t", $"syscalls:sys_enter_{s}", "-t", $"syscalls:sys_exit_{s}" });

    static IEnumerable<string> UprobePairArgs(string lib, params string[] functions) =>
        functions.SelectMany(f => new[] { "-u", $"{lib}:{f}", "-r", $"{lib}:{f}" });

    JsonArray LargeAllocations()
    {
        Log("large allocations: added time per call");
        var rows = new JsonArray();
        _table.Add("Per large allocation: added ns per malloc+free (traced − untraced loop time / calls; median of rounds, min–max)");
        _table.Add($"  {"workload",-18} {"tracer",-44} {"added ns",-26} {"x floor",-8} {"x deliv.",-8} note");
        var glibcLarge = Prog("large_alloc");
        var jeLarge = Prog("large_alloc_jemalloc");
        var goLarge = Prog("golarge");
        Func<Workload, string[]> sysProbes = _ => TracepointArgs().ToArray();

        bool Mmap1M(LineProtocol.Point p) => p.Tag("op") == "mmap" && p.Tag("size_class") == "1M";
        Func<LineProtocol.Point, bool> Malloc(string allocator, string sizeClass) =>
            p => p.Tag("allocator") == allocator && p.Tag("op") == "malloc" && p.Tag("size_class") == sizeClass;

        // Two floors per mode: empty programs (the probe mechanism alone), and the same handing every event to user
        // space through a perf buffer (what a tracer that reports each event, as alloclat does, cannot avoid).
        void Measure(Workload w, Func<Workload, string[]>? defaultProbes, Func<Workload, string[]>? preciseProbes, IEnumerable<Tracer> tracers)
        {
            var entries = new List<Entry> { new("base", new Untraced(), w, null) };
            foreach (var (mode, probes) in new[] { ("default", defaultProbes), ("precise", preciseProbes) })
            {
                if (probes is null)
                    continue;
                var what = mode == "default" ? "alloclat default mode's probes" : "alloclat --precise's probes";
                entries.Add(new($"floor-{mode}", new Floor($"floor: empty programs on {what}", FloorPath, probes), w, "base"));
                if (!Quick)
                    entries.Add(new($"floor-{mode}-ev", new Floor($"floor: the same + perf output per event", FloorPath, x => ["-e", .. probes(x)]), w, "base"));
            }
            entries.AddRange(tracers.Select(t => new Entry(t.Name, t, w, "base")));
            // The quick run is a smoke test of every tool here; one round keeps it under two minutes.
            var rounds = Interleave(entries, Quick ? 1 : Rounds);
            double basePerCall = Stats.Median(rounds.Select(r => (double)r["base"].LoopNs / w.Count));
            var added = new Dictionary<string, Series>();
            foreach (var e in entries.Where(e => e.BaselineKey is not null))
            {
                var s = new Series();
                foreach (var round in rounds)
                    if (round.TryGetValue(e.Key, out var run) && !run.TargetCrashed && !(e.Tracer is AlloclatTool { PendingIfNone: true } && run.Traced == 0))
                        s.Add((double)(run.LoopNs - round["base"].LoopNs) / w.Count);
                added[e.Key] = s;
            }
            foreach (var e in entries.Where(e => e.BaselineKey is not null))
            {
                var s = added[e.Key];
                var runs = rounds.Where(r => r.ContainsKey(e.Key)).Select(r => r[e.Key]).ToList();
                string status = "ok";
                if (runs.Any(r => r.TargetCrashed))
                    status = "crashed the target: " + runs.First(r => r.TargetCrashed).Output.Split('\n').FirstOrDefault(l => l.Length > 0);
                else if (e.Tracer is AlloclatTool { PendingIfNone: true } && runs.All(r => r.Traced == 0))
                    status = "pending: alloclat reported no allocator=go point (Go support not in this build)";
                string? floorKey = e.Tracer is AlloclatTool a ? (a.Options.Contains("--precise") ? "floor-precise" : "floor-default") : null;
                // A ratio to a floor the noise swallows (a round below zero, or too small against the loop) would be
                // a random number.
                double? Versus(string? key) => key is not null && added.TryGetValue(key, out var f) && f.Values.Count > 0 && s.Values.Count > 0 &&
                                               f.Min > 0 && f.Median >= Math.Max(500, 0.02 * basePerCall)
                    ? Math.Round(s.Median / f.Median, 2) : null;
                double? vsFloor = Versus(floorKey), vsDelivery = Versus(floorKey is null ? null : floorKey + "-ev");
                var note = status != "ok" ? status : e.Tracer.Note ?? "";
                rows.Add(new JsonObject
                {
                    ["workload"] = w.Name,
                    ["tracer"] = e.Tracer.Name,
                    ["calls"] = w.Count,
                    ["baseline_ns_per_call"] = Math.Round(basePerCall, 1),
                    ["added_ns_per_call"] = s.Values.Count > 0 ? Figure(s, 1) : null,
                    // Interference only ever adds time, so the fastest runs are a second, steadier estimate.
                    ["added_ns_per_call_fastest_runs"] = runs.Count(r => !r.TargetCrashed && r.LoopNs > 0) is > 0 && s.Values.Count > 0
                        ? Math.Round((double)(runs.Where(r => r.LoopNs > 0).Min(r => r.LoopNs) - rounds.Min(r => r["base"].LoopNs)) / w.Count, 1) : null,
                    ["ratio_to_floor"] = vsFloor,
                    ["ratio_to_delivery_floor"] = vsDelivery,
                    ["floor_resolved"] = floorKey is null ? null : vsFloor is not null,
                    ["tool_events"] = runs.Count > 0 ? runs[^1].Traced : 0,
                    ["status"] = status,
                    ["note"] = note,
                });
                string X(double? v) => v is double d ? d.ToString("0.00", CultureInfo.InvariantCulture) : "";
                _table.Add($"  {w.Name,-18} {e.Tracer.Name,-44} {(status == "ok" ? Range(s, "0") : "-"),-26} {X(vsFloor),-8} {X(vsDelivery),-8} {note}");
            }
            _table.Add($"  {w.Name,-18} {"(untraced: ns per malloc+free)",-44} {basePerCall,-26:0}");
        }

        long nGlibc = Quick ? 400 : 3000, nJe = Quick ? 5000 : 40000;
        var wGlibc = new Workload("glibc 1 MiB (mmap)", glibcLarge, ["1048576", nGlibc.ToString(CultureInfo.InvariantCulture)], nGlibc);
        Measure(wGlibc, sysProbes, _ => TracepointArgs().Concat(UprobePairArgs(Libc, "malloc", "free")).ToArray(),
            new Tracer[]
            {
                new AlloclatTool("alloclat (default mode)") { Expect = Mmap1M, MinTraced = w => w.Count },
                new AlloclatTool("alloclat --precise", "--precise") { Expect = Malloc("glibc", "1M"), MinTraced = w => w.Count },
                new AlloclatTool("alloclat --precise --no-kernel-histograms", "--precise", "--no-kernel-histograms") { Expect = Malloc("glibc", "1M"), MinTraced = w => w.Count },
                BpftraceLibcMalloc(Libc, true),
            }.Concat(FunclatencyTools(_ => "c:malloc", _ => "c:malloc")));

        var wJe = new Workload("jemalloc 1 MiB", jeLarge, ["1048576", nJe.ToString(CultureInfo.InvariantCulture)], nJe);
        Measure(wJe, sysProbes, _ => TracepointArgs().Concat(UprobePairArgs(Jemalloc, "malloc", "free")).ToArray(),
            new Tracer[]
            {
                new AlloclatTool("alloclat (default mode)") { Note = "jemalloc reuses its extents: no syscall per allocation, nothing to trace" },
                new AlloclatTool("alloclat --precise", "--precise") { Expect = Malloc("jemalloc", "1M"), MinTraced = w => w.Count },
                new AlloclatTool("alloclat --precise --no-kernel-histograms", "--precise", "--no-kernel-histograms") { Expect = Malloc("jemalloc", "1M"), MinTraced = w => w.Count },
                BpftraceLibcMalloc(Jemalloc, true),
            }.Concat(FunclatencyTools(_ => "jemalloc:malloc", _ => $"{Jemalloc}:malloc")));

        var (entry, returns) = GoProbeOffsets(goLarge, GoLarge);
        Func<Workload, string[]> goProbes = w => TracepointArgs().Concat(new[] { "-o", $"{w.File}:0x{entry:x}" })
            .Concat(returns.SelectMany(r => new[] { "-o", $"{w.File}:0x{r:x}" })).ToArray();
        foreach (var (size, label, n) in new[] { (65536, "Go 64 KiB", Quick ? 1500L : 10000L), (1048576, "Go 1 MiB", 600L) })
        {
            // A 1 MiB Go allocation is dominated by zeroing and GC work, too noisy for the short run.
            if (Quick && size > 65536)
                continue;
            var w = new Workload(label, goLarge, [size.ToString(CultureInfo.InvariantCulture), n.ToString(CultureInfo.InvariantCulture)], n);
            var sizeClass = size == 65536 ? "64K" : "1M";
            Measure(w, goProbes, null, new Tracer[]
            {
                new AlloclatTool("alloclat (default mode)")
                {
                    Expect = p => p.Tag("allocator") == "go" && p.Tag("size_class") == sizeClass,
                    MinTraced = w => w.Count,
                    PendingIfNone = true,
                },
                BpftraceGoEntry(GoLarge),
            }.Concat(FunclatencyTools(_ => $":{GoLarge}", w => $"{w.File}:{GoLarge}")));
        }
        _table.Add("");
        return rows;
    }
}
