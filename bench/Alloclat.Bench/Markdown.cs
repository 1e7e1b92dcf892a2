using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

sealed partial class BenchRun
{
    static string F(JsonNode? n, string format = "0")
    {
        if (n is null)
            return "–";
        if (n is JsonObject o && o["median"] is not null)
            return $"{F(o["median"], format)} ({F(o["min"], format)}–{F(o["max"], format)})";
        return n.GetValue<double>().ToString(format, CultureInfo.InvariantCulture);
    }

    static string S(JsonNode? n) => n?.ToString() ?? "";

    string Markdown()
    {
        var m = _results["machine"]!.AsObject();
        var sb = new StringBuilder();
        sb.Append($"""
            # Benchmarks

            What alloclat costs the traced program, what the collector can take, and how exact its figures are, next to
            the tools one would otherwise use: `bpftrace` and `funclatency` (libbpf-tools; bcc's `funclatency-bpfcc`
            where it runs). Every figure below comes from one run of

                sudo make bench        # about 7 minutes on 2 cores; `make bench-quick` is a smoke run under 2

            which builds the programs in `bench/programs` and `bench/go`, installs the reference tools from Debian
            packages if missing, and writes this file and the machine-readable `bench/results/latest.json`. One section
            runs alone with `sudo make bench-section SECTION=NAME` (`QUICK=1` for fewer rounds; names: fast, large,
            goprobes, hostwide, counts, demo, throughput, accuracy, attach, lifetimes, fleet), writing
            `build/bench/section.json`.

            | | |
            | --- | --- |
            | date | {S(m["date_utc"])} |
            | machine | {S(m["os"])}, {S(m["cpus"])} CPUs ({S(m["cpu"]).Trim()}), {S(m["memory"])} memory, a VM shared with concurrent builds (load {S(m["load_average_at_start"])} at start) |
            | kernel | {S(m["kernel"])} |
            | alloclat | commit {S(m["alloclat_commit"])} |
            | references | {S(m["bpftrace"])}; libbpf-tools {S(m["libbpf_tools"])}; bpfcc-tools {(S(m["bpfcc_tools"]) is { Length: > 0 } v ? v : "not installed")}; {S(m["go"])} |

            **How to read the figures.** The machine is noisy, so nothing is a single timing. Each workload measures its own
            loop with `CLOCK_MONOTONIC` (process start-up and probe attach are not in it). A *round* runs the untraced
            baseline and every tracer once, in an order rotated from round to round; each figure compares a traced run
            with the baseline **of the same round**; the tables give the median over {S(_results["rounds"])} rounds and,
            in parentheses, the smallest and largest round. A spread wider than the difference between two rows means
            the difference is not resolved on this machine. Timed runs are pinned ({S(_results["pinning"])}): the
            collector or tool never takes the workload's CPU, and a program whose threads hand work to each other does so
            on one CPU every round, so a ratio is what the probes cost the program in its own time.

            Every run of a reference tool is checked to have traced (a non-empty histogram or count), and every alloclat
            run to have counted at least the calls the workload made; the bench fails otherwise.


            """);

        sb.Append(Goals());
        sb.Append("""
            ## 1. Fast path: a program that only makes small allocations

            `small_alloc` (C, glibc: malloc/free of 16 B to 4 KiB), `dotnetsmall` (.NET: `new byte[16 B..4 KiB]`, whose
            gen-0 collections alloclat reads from the runtime over EventPipe) and `gosmall` (Go: `make([]byte, 16 B..4 KiB)`).
            Ratio = loop time traced / untraced. alloclat in default mode places no probe on the allocator, so its
            goal is 1.00. The reference tools probe malloc (C) or `runtime.mallocgc` (Go) with a uprobe, so every call
            traps; they run fewer calls to keep the bench short (the baseline they are compared with runs as many).

            | program | tracer | calls | traced / untraced | note |
            | --- | --- | ---: | --- | --- |

            """);
        foreach (var r in _results["fast_path"]!.AsArray())
            sb.Append($"| {S(r!["program"])} | {S(r["tracer"])} | {S(r["calls"])} | {F(r["ratio"], "0.000")} | {S(r["note"])} |\n");

        sb.Append("""

            ## 2. Per traced large allocation

            Added time per malloc+free pair = (traced − untraced loop time) / calls. *Floor* rows attach empty BPF
            programs (`bench/programs/floor.c`, libbpf) to exactly the probes alloclat places: the syscall tracepoints
            (`sys_enter`/`sys_exit` of mmap, munmap, mremap, brk) for default mode; those plus an entry uprobe and a
            uretprobe on malloc and free for `--precise`; for Go, uprobes on the entry and on every `RET` of
            `runtime.(*mcache).allocLarge` (alloclat does not use uretprobes on Go: they break Go's stack handling).
            *x floor* = alloclat's added time / the empty floor's (goal ≤ 1.10). A second floor has the same programs
            also send a 32-byte record per event through a perf buffer read by the harness, with libbpf's default of one
            wakeup per record, which is how alloclat hands over its events; *x delivery floor* compares with that one.
            bpftrace and funclatency aggregate in the kernel and hand nothing over per event. They time malloc only
            (entry+return; bpftrace with the same 32 KiB size filter), not free, so they place half of `--precise`'s
            uprobes.

            *fastest* = (fastest traced run − fastest untraced run) / calls: interference only adds time, so this is a
            steadier second estimate when the medians' spread is wide.

            | workload | tracer | untraced ns/call | added ns/call | fastest | x floor | x delivery floor | note |
            | --- | --- | ---: | --- | ---: | ---: | ---: | --- |

            """);
        foreach (var r in _results["large_allocation"]!.AsArray())
            sb.Append($"| {S(r!["workload"])} | {S(r["tracer"])} | {F(r["baseline_ns_per_call"])} | {F(r["added_ns_per_call"])} | {F(r["added_ns_per_call_fastest_runs"])} | {(r["ratio_to_floor"] is null ? "" : F(r["ratio_to_floor"], "0.00"))} | {(r["ratio_to_delivery_floor"] is null ? "" : F(r["ratio_to_delivery_floor"], "0.00"))} | {S(r["note"])} |\n");

        var storms = _results["throughput"]!.AsArray().Select(n => n!.AsObject()).ToList();
        string Cells(Func<JsonObject, string> f) => string.Join(" | ", storms.Select(f));
        sb.Append($"""

            ## 3. Collector throughput

            `mmap_storm`: threads mapping and unmapping 1 MiB without touching it, as fast as the kernel allows, for
            {S(storms[0]["duration_ms"])} ms, {S(storms[0]["runs"])} run(s) under `alloclat record` (default mode) and as many
            untraced. Every call is a traced event. One thread leaves a core to the collector; one per CPU makes them
            compete. CPU is the collector's utime+stime while the storm ran (`/proc/PID/stat`) over wall time
            (100 % = one core); peak RSS is its `VmHWM`.

            | figure | {Cells(t => $"{S(t["threads"])} thread(s)")} |
            | --- | {Cells(_ => "---")} |
            | pairs/s untraced | {Cells(t => F(t["untraced_pairs_per_s"]))} |
            | pairs/s traced | {Cells(t => $"{F(t["traced_pairs_per_s"])} (x{F(t["traced_over_untraced"], "0.00")})")} |
            | events handled/s | {Cells(t => F(t["events_per_s"]))} |
            | events received | {Cells(t => S(t["events"]))} |
            | calls measured / calls made | {Cells(t => $"{S(t["calls_measured"])} / {S(t["syscalls_made"])}")} |
            | lost (perf buffer full) | {Cells(t => S(t["lost"]))} |
            | inflight_dropped | {Cells(t => S(t["inflight_dropped"]))} |
            | collector CPU % | {Cells(t => F(t["collector_cpu_percent"], "0.0"))} |
            | collector peak RSS | {Cells(t => F(t["collector_peak_rss_mb"], "0.0") + " MB")} |
            | collector poll-thread wakeups per event | {Cells(t => t["poll_thread_wakeups_per_event"] is null ? "–" : F(t["poll_thread_wakeups_per_event"], "0.00"))} |

            ## 4. Accuracy

            `libdelaymalloc.so` (LD_PRELOAD) makes malloc of 64 KiB spin for a known time and records the call's own
            duration from inside it (the truth). *mixed*: 90 % 20–40 µs, 9 % 100–200 µs, 0.9 % 1 ms, 0.1 % 5 ms.
            *zero*: no delay, so what alloclat reports beyond the truth is what is left of its probes' own bias
            (entry uprobe to uretprobe) once the cost it calibrated at start (`probe_cost_ns`, given below) is
            subtracted. Traced with `--precise --interval 10m` so the whole run is one point; truth percentiles are
            nearest-rank, as alloclat's. Values in ns.

            | distribution | | calls | p50 | p90 | p99 | p99.9 | max |
            | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |

            """);
        foreach (var (dist, node) in _results["accuracy"]!.AsObject())
        {
            foreach (var (label, key) in new[] { ("truth", "truth_ns"), ("alloclat", "reported_ns"), ("alloclat − truth", "reported_minus_truth_ns") })
            {
                var o = node![key]!.AsObject();
                sb.Append($"| {(label == "truth" ? dist : "")} | {label} | {(label == "truth" ? S(node["calls"]) : "")} | {S(o["p50"])} | {S(o["p90"])} | {S(o["p99"])} | {S(o["p999"])} | {S(o["max"])} |\n");
            }
            if (node!["probe_cost_ns"] is JsonNode cost)
                sb.Append($"| | probe cost subtracted | | {S(cost)} | | | | |\n");
        }
        sb.Append("""

            bpftrace's `hist()` and funclatency report power-of-two buckets, so their percentiles are only known to a
            factor of two; they are not in this table.

            ## 5. Attach and detach

            `manylibs` is linked against 120 shared libraries. *start → target runs*: from starting the tracer to the
            program's `main` (alloclat holds a started command until its probes are placed); *target exit → tracer
            exit*: from the program's last instruction to the tracer's exit (final flush included).

            | tracer | shared objects | start → target runs (ms) | target exit → tracer exit (ms) |
            | --- | ---: | --- | --- |

            """);
        foreach (var r in _results["attach"]!.AsArray())
            sb.Append($"| {S(r!["tracer"])} | {S(r["shared_objects"])} | {F(r["start_to_target_running_ms"])} | {F(r["target_exit_to_tracer_exit_ms"])} |\n");

        if (_results["lifetimes"] is JsonObject lifetimes)
        {
            sb.Append("\n## Process lifetimes (`make bench-section SECTION=lifetimes`)\n\nA copy of `/bin/true` traced with `--precise --binary` " +
                      "while a shell starts it N times; SIGTERM as the last start returns. Each start is probed at exec (one uprobe_multi link " +
                      "per program and kind: six for glibc's malloc family) and each exit releases its links in the background. The links of exited " +
                      "processes not yet removed at the exit are handed to alloclat-guard, which removes them after the collector has exited " +
                      "(their probes cannot fire; the kernel serializes their removal): *guard done* is when it has, from the SIGTERM. " +
                      $"Target: exit under {LifetimesExitTargetS:0} s after 300 lifetimes. " +
                      "Ratio: against the run with no start. Descriptors: BPF links + perf events (the tracepoints).\n\n" +
                      "| starts | loop (s) | exit (s) | ratio | guard done (s) | RSS before → after (MB) | link + perf fds before → after the loop |\n| ---: | ---: | ---: | ---: | ---: | --- | --- |\n");
            foreach (var r in lifetimes["runs"]!.AsArray())
                sb.Append($"| {S(r!["starts"])} | {S(r["loop_s"])} | {S(r["exit_s"])} | {S(r["exit_ratio_to_no_starts"])} | {S(r["guard_done_s"])} | {S(r["rss_mb_before"])} → {S(r["rss_mb_after"])} | " +
                          $"{S(r["bpf_link_fds_before"])} + {S(r["perf_event_fds_before"])} → {S(r["bpf_link_fds_after_loop"])} + {S(r["perf_event_fds_after_loop"])} |\n");
            if (lifetimes["fork_hold"] is JsonObject hold)
                sb.Append($"\nA shell forking {S(hold["forks"])} subshells under `--precise`: each child is held before its first instruction " +
                          $"while its parent's probes are placed in it: p50 {S(hold["held_ms_p50"])} ms, max {S(hold["held_ms_max"])} ms " +
                          $"(mean {S(hold["until_seen_ms_mean"])} ms until the collector sees it, {S(hold["placing_ms_mean"])} ms placing the probes).\n");
        }

        // The soak has its own target (make bench-soak) and file; a full bench shows its last result.
        string soakFile = Path.Combine("bench", "results", "soak.json");
        if ((_results["soak"] ?? (File.Exists(soakFile) ? JsonNode.Parse(File.ReadAllText(soakFile))?["soak"] : null)) is JsonObject soak)
        {
            sb.Append($"\n## Soak: `--all` under process churn (`make bench-soak`)\n\n`alloclat record --all` for {S(soak["minutes"])} minutes " +
                      $"while a shell starts {S(soak["processes_started"])} short-lived processes (about 30 a second). RSS must follow the " +
                      "processes alive, not those that ever ran: flat within 10 % between 1, 10 and 30 minutes.\n\n" +
                      "| RSS at 1 min (MB) | at 10 min | at the end | spread | exit after SIGTERM (s) |\n| ---: | ---: | ---: | ---: | ---: |\n" +
                      $"| {S(soak["rss_mb_1_min"])} | {S(soak["rss_mb_10_min"])} | {S(soak["rss_mb_last"])} | {S(soak["spread_percent"])} % | {S(soak["exit_s"])} |\n\n" +
                      $"RSS each minute (MB): {string.Join(", ", soak["rss_mb_per_minute"]!.AsArray().Select(v => S(v)))}.\n");
        }

        if (_results["fleet"] is JsonObject fleet)
        {
            sb.Append("""

                ## Fleet mode (in process, one thread)

                Per interval of N series with 20 calls each: the collector's snapshot without and with histograms kept
                (encoded for Kafka or `--histograms`) in the same round, the extra time, serialising the messages; and the
                aggregator merging the messages of three hosts into one window and writing it (series-intervals per second).

                | series | snapshot (ms) | with histograms (ms) | extra (ms) | serialise (ms) | bytes/message | aggregator (series-intervals/s) |
                | ---: | --- | --- | --- | --- | ---: | --- |

                """);
            foreach (var (n, r) in fleet)
                sb.Append($"| {n} | {F(r!["snapshot_ms_without_histograms"], "0.0")} | {F(r["snapshot_ms_with_histograms"], "0.0")} | {F(r["histograms_extra_ms"], "0.0")} | {F(r["serialise_ms"], "0.0")} | {S(r["message_bytes"])} | {F(r["aggregator_series_intervals_per_s"])} |\n");
        }

        var notRun = _results["not_run"]!.AsArray();
        sb.Append("\n## What could not run here\n\n");
        sb.Append("- kprobes and fentry/fexit are refused on these machines (EPERM); every tool here uses uprobes and tracepoints only.\n");
        sb.Append("- bpftrace 0.17 as packaged by Debian is built without offset-probe support, so it cannot probe a Go function's " +
                  "return instructions, and a uretprobe (what funclatency uses) crashed a Go program here. Its Go rows therefore " +
                  "count entries only.\n");
        sb.Append("- funclatency times with a uretprobe: on Go it crashed the small-allocation program (SIGILL at the return " +
                  "trampoline's address, see the table) and may crash any Go program; its Go large-path rows are from runs " +
                  "that happened to survive.\n");
        foreach (var n in notRun)
            sb.Append($"- {S(n)}{(S(n).Contains("Failed to compile") ? " (bcc compiles its programs at run time against the kernel headers, which this kernel does not provide)" : "")}\n");
        sb.Append($"\nThe bench took {S(_results["duration_s"])} s.\n");
        sb.Append(CauseCostMarkdown());
        sb.Append(ProgramCountsMarkdown());
        sb.Append(PreciseCostMarkdown());
        sb.Append(DemoSpikesMarkdown());
        return sb.ToString();
    }

    static double Med(JsonNode? n) => n is JsonObject o && o["median"] is JsonNode m ? m.GetValue<double>() : double.NaN;

    /// <summary>The issue's goals against this run's figures, so a regression shows in the first table.</summary>
    string Goals()
    {
        var rows = new List<string>();
        string Yes(bool ok) => ok ? "yes" : "**no**";
        if (_results["fast_path"] is JsonArray fast)
            foreach (var r in fast.Where(r => S(r!["tracer"]).StartsWith("alloclat")))
            {
                var o = r!["ratio"];
                bool ok = o is JsonObject && Med(o) <= 1.05;
                bool noisy = o is JsonObject && (o["min"]!.GetValue<double>() < 0.95 || o["max"]!.GetValue<double>() > 1.05);
                rows.Add($"| fast path, {S(r["program"])}: traced / untraced | ≈ 1.00 (≤ 1.05) | {F(o, "0.000")}{(noisy ? "; rounds spread wider than ±5 %: noise of the machine" : "")} | {Yes(ok)} |");
            }
        if (_results["large_allocation"] is JsonArray large)
            foreach (var r in large.Where(r => S(r!["tracer"]).StartsWith("alloclat")))
            {
                if (S(r!["status"]) != "ok")
                {
                    rows.Add($"| {S(r["workload"])}, {S(r["tracer"])}: added time / floor | ≤ 1.10 | {S(r["status"])} | – |");
                    continue;
                }
                if (r["ratio_to_floor"] is null)
                {
                    if (r["floor_resolved"] is JsonNode)
                        rows.Add($"| {S(r["workload"])}, {S(r["tracer"])}: added time / floor | ≤ 1.10 | not resolved: added {F(r["added_ns_per_call"])} ns, floor within the noise | – |");
                    continue;
                }
                double x = r["ratio_to_floor"]!.GetValue<double>();
                rows.Add($"| {S(r["workload"])}, {S(r["tracer"])}: added time / floor | ≤ 1.10 | {x:0.00} (x delivery floor: {F(r["ratio_to_delivery_floor"], "0.00")}) | {Yes(x <= 1.10)} |");
            }
        if (_results["throughput"] is JsonArray storms)
            foreach (var t in storms)
            {
                rows.Add($"| storm, {S(t!["threads"])} thread(s): lost events | 0 | {S(t["lost"])} of {S(t["syscalls_made"])} | {Yes(t["lost"]!.GetValue<long>() == 0)} |");
                rows.Add($"| storm, {S(t["threads"])} thread(s): collector peak RSS | < 100 MB | {F(t["collector_peak_rss_mb"], "0.0")} MB | {Yes(t["collector_peak_rss_mb"]!.GetValue<double>() < 100)} |");
            }
        if (_results["accuracy"] is JsonObject acc && acc["mixed"] is JsonObject mixed && acc["zero"] is JsonObject zero)
        {
            // The bias is what the correction subtracted, plus what it left on the zero-delay call.
            long bias = (zero["probe_cost_ns"]?.GetValue<long>() ?? 0) + Math.Max(zero["reported_minus_truth_ns"]!["p50"]!.GetValue<long>(), 0);
            foreach (var k in new[] { "p50", "p99", "p999" })
            {
                long err = mixed["reported_minus_truth_ns"]![k]!.GetValue<long>();
                long truth = mixed["truth_ns"]![k]!.GetValue<long>();
                // The reported value may exceed the truth by the probes' own bias, plus the histogram's 0.1 %.
                bool ok = err >= -truth / 1000 - 1 && err <= 2 * bias + truth / 1000 + 1;
                rows.Add($"| accuracy, mixed {k}: reported − truth | within 0.1 % + probe bias ({bias} ns) | {err} ns of {truth} | {Yes(ok)} |");
            }
        }
        if (rows.Count == 0)
            return "";
        var text = "## Goals\n\n| goal | target | this run | met |\n| --- | --- | --- | --- |\n" + string.Join("\n", rows) + "\n\n";
        var deliveryBound = (_results["large_allocation"] as JsonArray ?? new JsonArray())
            .Where(r => S(r!["tracer"]).StartsWith("alloclat") && r!["ratio_to_floor"] is JsonNode f && f.GetValue<double>() > 1.10 &&
                        r["ratio_to_delivery_floor"] is JsonNode d && d.GetValue<double>() <= 1.10)
            .Select(r => $"{S(r!["workload"])} ({S(r["tracer"])})").ToList();
        if (deliveryBound.Count > 0)
            text += $"Above the empty floor but within the delivery floor: {string.Join(", ", deliveryBound)}. There the time alloclat " +
                    "adds beyond the probes themselves is the hand-over of each event to user space (a perf-buffer record per " +
                    "event, with the collector woken as records arrive); bpftrace and funclatency aggregate in kernel maps and hand " +
                    "nothing over per call, which is why they are cheaper per call than alloclat --precise although they " +
                    "place the same kind of probes.\n\n";
        return text;
    }
}
