using System.CommandLine;
using Tracer.Core;

namespace Alloclat.Cli.CommandLine;

/// <summary>The options of <c>alloclat record</c>, declared once for the command line, help, completion and --config.</summary>
internal sealed class RecordCommandLine
{
    public static readonly VerbHelp Help = new(
        [
            "alloclat record [options] -- COMMAND [ARGS...]   trace a command it starts",
            "alloclat record [options] -p PID                 trace a running process",
            "alloclat record [options] --binary PATH          every process of that binary, now and later",
            "alloclat record [options] -n NAME                every process of that name, now and later",
            "alloclat record [options] --cgroup PATH          every process in that cgroup (v1 or v2) and below",
            "alloclat record [options] --all                  every process (default mode only)",
        ],
        """
        Exit codes: the traced command's own code with -- COMMAND; otherwise 0 ok, 2 bad option, 3 no privilege,
        4 missing kernel feature, 5 libbpf missing or too old, 6 no such process, 7 traced process exited,
        8 binary not ELF or no allocator found, 9 InfluxDB configuration error (credentials, missing database,
        untrusted certificate), 10 the output cannot be written, 11 points lost to the database, 130 interrupted.
        """);

    public const string Description = """
        Measures allocation latency with BPF and reports percentiles per process, allocator, operation and size
        class every interval. Default mode traces the kernel side of large allocations (mmap, munmap, mremap,
        brk) and costs nothing on small allocations. --precise adds uprobes on the malloc family of every
        allocator found (glibc, jemalloc, tcmalloc, mimalloc): every malloc call then pays a uprobe trap.
        """;

    private static readonly RecordOptions s_defaults = new();

    public Option<int?> Pid { get; } = Opt.Value("--process-id", "PID", "trace this process (and the children it forks)", OptionValues.Pid, "-p");
    public Option<string?> Binary { get; } = Opt.Text("--binary", "PATH", "trace every process executing PATH");
    public Option<string[]> Names { get; } = Opt.List("--name", "NAME", "trace processes named NAME (as ps shows it, the kernel's comm), running now and started later; repeatable", OptionValues.ProcessName, "-n");
    public Option<string?> Cgroup { get; } = Opt.Text("--cgroup", "PATH", "trace the processes in the cgroup directory PATH and its children, and what they fork (tag container: the cgroup path below PATH, or a runtime's container id)", OptionValues.NonEmpty);
    public Option<bool> PerThread { get; } = Opt.Flag("--per-thread", "one series per thread, tagged thread=<thread name> (comm is the process's name)");
    public Option<bool> All { get; } = Opt.Flag("--all", "trace every process on the host");
    public Option<TimeSpan?> Duration { get; } = Opt.Value("--duration", "TIME", "stop after TIME (500ms, 15s, 2m, 1h), sending SIGTERM to a command still running; default: until Ctrl-C or the command ends", OptionValues.Duration, "-d");
    public Option<TimeSpan?> Interval { get; } = Opt.Value("--interval", "TIME", "reporting interval (default 1s)", OptionValues.Duration);
    public Option<ulong?> MinSize { get; } = Opt.Value("--min-size", "SIZE", "ignore calls below SIZE bytes, filtered in BPF (default 32K)", OptionValues.Size);
    public Option<bool> Precise { get; } = Opt.Flag("--precise", "also probe the malloc family (slow: a uprobe trap on every call)");
    public Option<bool> RawLatency { get; } = Opt.Flag("--raw-latency", "with --precise: keep each latency as measured, the probes' own cost (calibrated at start, probe_cost_ns) not subtracted");
    public Option<bool> NoKernelHistograms { get; } = Opt.Flag("--no-kernel-histograms", "send one event per traced call to be aggregated by the collector, instead of counting calls into latency histograms in the kernel (the same figures, at a higher cost per call)");
    public Option<TimeSpan?> SpikeThreshold { get; } = Opt.Value("--spike-threshold", "TIME", "report calls this slow (500us, 5ms) with their stack and kernel cause (page population and faults, reclaim, compaction, off-CPU, preempted, on-CPU) as alloc_spike (default 5ms; off)", OptionValues.Threshold);
    public Option<bool> CauseMmapLock { get; } = Opt.Flag("--cause-mmap-lock", "also measure mmap_lock waits in slow calls: a tracepoint on every mmap_lock acquisition of every process on the host (off by default)");
    public Option<string?> Output { get; } = Opt.Text("--output", "FILE", "line-protocol file, appended to (default alloclat-<timestamp>.lp); 'none': no file", aliases: "-o");
    public Option<ulong?> OutputMaxSize { get; } = Opt.Value("--output-max-size", "SIZE", "rotate the file before an interval takes it past SIZE (e.g. 100M): FILE.1 is the newest older file", OptionValues.Size);
    public Option<int?> OutputKeep { get; } = Opt.Value("--output-keep", "N", "older files kept when rotating (default 5)", OptionValues.PositiveInt);
    public Option<string?> Config { get; } = Opt.Text("--config", "FILE", "options from a TOML file by long name, top level or in their section (min-size = \"64K\", precise = true, [influx] url = \"...\"), ${VAR} expanded; options after --config override it");
    public Option<bool> Quiet { get; } = Opt.Flag("--quiet", "no live screen or table, no summary on stdout", "-q");
    public Option<bool> Plain { get; } = Opt.Flag("--plain", "one plain table per interval even on a terminal (no live screen)");
    public Option<string?> Summary { get; } = Opt.Text("--summary", "FILE", "also write the run summary (whole-run percentiles, totals, slowest calls) as JSON to FILE", OptionValues.NonEmpty);
    public Option<bool> Verbose { get; } = Opt.Flag("--verbose", "libbpf's messages and details of what is probed", "-v");
    public Option<string?> Host { get; } = Opt.Text("--host", "NAME", "host tag (default: this host's name)", OptionValues.NonEmpty);
    public Option<string?> Btf { get; } = Opt.Text("--btf", "FILE", "kernel BTF for kernels without /sys/kernel/btf/vmlinux");
    public Option<int?> PerfPages { get; } = Opt.Value("--perf-pages", "N", "perf-buffer pages per CPU, a power of two (default: 16 MiB over all CPUs, 64 to 512 pages each)", OptionValues.PowerOfTwo);
    public InfluxOptionGroup Influx { get; } = new(defaultQueueLines: 100_000);
    public AlertOptionGroup Alerts { get; } = new();
    public Option<string?> AlertWebhook { get; } = Opt.Text("--alert-webhook", "URL", "also POST firing and resolved alerts as JSON to URL (retried, never blocks tracing)", OptionValues.Url);
    public KafkaOptionGroup Kafka { get; } = new("publish every series' interval histogram to Kafka (fleet mode, alloclat aggregate)");
    public Option<int?> KafkaQueue { get; } = Opt.Value("--kafka-queue", "N", "messages kept while brokers are unreachable (default 100000)", OptionValues.PositiveInt);
    public Option<bool> Histograms { get; } = Opt.Flag("--histograms", "also write the interval histograms to the output file (alloclat merge)");

    public Command Create()
    {
        var command = new Command("record", Description);
        foreach (var option in new Option[] { Pid, Binary, Names, Cgroup, PerThread, All, Duration, Interval, MinSize, Precise, RawLatency, NoKernelHistograms, SpikeThreshold, CauseMmapLock, Output, OutputMaxSize, OutputKeep, Config, Quiet, Plain, Summary, Verbose, Host, Btf, PerfPages })
            command.Options.Add(option);
        Influx.AddTo(command);
        Alerts.AddTo(command);
        command.Options.Add(AlertWebhook);
        Kafka.AddTo(command);
        command.Options.Add(KafkaQueue);
        command.Options.Add(Histograms);
        return command;
    }

    /// <summary>The options of a parse without errors, and the command after <c>--</c>; validated.</summary>
    public RecordOptions Bind(ParseResult r, IReadOnlyList<string> command, IReadOnlyList<string> warnings)
    {
        var o = new RecordOptions
        {
            Pid = r.GetValue(Pid),
            Binary = r.GetValue(Binary),
            Command = command,
            AllProcesses = r.GetValue(All),
            Names = r.GetValue(Names) ?? [],
            Cgroup = r.GetValue(Cgroup),
            PerThread = r.GetValue(PerThread),
            Duration = r.GetValue(Duration),
            Interval = r.GetValue(Interval) ?? s_defaults.Interval,
            MinSize = r.GetValue(MinSize) ?? s_defaults.MinSize,
            Precise = r.GetValue(Precise),
            RawLatency = r.GetValue(RawLatency),
            KernelHistograms = !r.GetValue(NoKernelHistograms),
            SpikeThreshold = r.GetValue(SpikeThreshold) ?? s_defaults.SpikeThreshold,
            CauseMmapLock = r.GetValue(CauseMmapLock),
            Output = r.GetValue(Output),
            OutputMaxSize = r.GetValue(OutputMaxSize),
            OutputKeep = r.GetValue(OutputKeep) ?? s_defaults.OutputKeep,
            OutputKeepGiven = r.GetValue(OutputKeep) is not null,
            SummaryPath = r.GetValue(Summary),
            Quiet = r.GetValue(Quiet),
            Plain = r.GetValue(Plain),
            Verbose = r.GetValue(Verbose),
            Host = r.GetValue(Host),
            BtfPath = r.GetValue(Btf),
            PerfPagesPerCpu = r.GetValue(PerfPages) ?? s_defaults.PerfPagesPerCpu,
            Influx = Influx.Bind(r),
            Alerts = Alerts.Bind(r),
            AlertWebhook = r.GetValue(AlertWebhook),
            KafkaBrokers = r.GetValue(Kafka.Brokers),
            KafkaTopic = r.GetValue(Kafka.Topic) ?? KafkaOptionGroup.DefaultTopic,
            KafkaProperties = r.GetValue(Kafka.Properties),
            KafkaQueueMessages = r.GetValue(KafkaQueue) ?? s_defaults.KafkaQueueMessages,
            Histograms = r.GetValue(Histograms),
            Warnings = warnings,
        };
        Validate(o);
        return o;
    }

    /// <summary>Combinations that cannot work, each refused with its reason before anything is opened.</summary>
    private static void Validate(RecordOptions o)
    {
        int targets = (o.Pid is null ? 0 : 1) + (o.Binary is null ? 0 : 1) + (o.Command.Count == 0 ? 0 : 1) + (o.AllProcesses ? 1 : 0)
            + (o.Names.Count == 0 ? 0 : 1) + (o.Cgroup is null ? 0 : 1);
        if (targets == 0)
            throw Usage.Error("nothing to trace: give -p PID, --binary PATH, -n NAME, --cgroup PATH, --all, or -- COMMAND");
        if (targets > 1)
            throw Usage.Error("give only one of -p, --binary, -n, --cgroup, --all and -- COMMAND");
        if (o.AlertWebhook is not null && o.Alerts.Count == 0)
            throw Usage.Error("--alert-webhook needs rules: give --alert RULE or --alert-file PATH");
        if (o.OutputDisabled && (o.OutputMaxSize is not null || o.OutputKeepGiven))
            throw Usage.Error("--output-max-size and --output-keep need an output file, not --output none");
        if (o.OutputKeepGiven && o.OutputMaxSize is null)
            throw Usage.Error("--output-keep needs --output-max-size (files are rotated only at a size)");
        if (o.OutputMaxSize is < 4096)
            throw Usage.Error($"invalid size '{o.OutputMaxSize}' for --output-max-size: must be at least 4K");
        if (o.Precise && o.AllProcesses)
            throw Usage.Error("--precise needs a target (-p, --binary or -- COMMAND): probing every malloc of every process is not offered");
        if (o.KafkaBrokers is null && (o.KafkaProperties is not null || o.KafkaTopic != KafkaOptionGroup.DefaultTopic))
            throw Usage.Error("--kafka-topic/--kafka-properties need --kafka-brokers");
        InfluxOptionGroup.Validate(o.Influx);
    }
}
