using Tracer.Core;

namespace Alloclat.Cli;

public static class Program
{
    public const string Usage = """
        Usage: alloclat record [options] -- COMMAND [ARGS...]   trace a command it starts
               alloclat record [options] -p PID                 trace a running process
               alloclat record [options] --binary PATH          every process of that binary, now and later
               alloclat record [options] -n NAME                every process of that name, now and later
               alloclat record [options] --cgroup PATH          every process in that cgroup (v1 or v2) and below
               alloclat record [options] --all                  every process (default mode only)
               alloclat aggregate [options]                     merge many hosts' histograms from Kafka (--help)
               alloclat merge [options] FILES...                merge --histograms files offline (--help)
               alloclat ps [-n NAME]                            processes that can be traced, and how
               alloclat report FILE.lp [-o FILE.html] [--png DIR]   a recorded run as one HTML page (and PNGs)

        Measures allocation latency with BPF and reports percentiles per process, allocator, operation and size
        class every interval. Default mode traces the kernel side of large allocations (mmap, munmap, mremap,
        brk) and costs nothing on small allocations. --precise adds uprobes on the malloc family of every
        allocator found (glibc, jemalloc, tcmalloc, mimalloc): every malloc call then pays a uprobe trap.

        Options:
          -p, --process-id PID     trace this process (and the children it forks)
              --binary PATH        trace every process executing PATH
          -n, --name NAME          trace processes named NAME (as ps shows it, the kernel's comm), running now and
                                   started later; repeatable
              --cgroup PATH        trace the processes in the cgroup directory PATH and its children, and what they
                                   fork (tag container: the cgroup path below PATH, or a runtime's container id)
              --per-thread         one series per thread, tagged thread=<thread name> (comm is the process's name)
              --all                trace every process on the host
          -d, --duration TIME      stop after TIME (500ms, 15s, 2m, 1h), sending SIGTERM to a command still running;
                                   default: until Ctrl-C or the command ends
              --interval TIME      reporting interval (default 1s)
              --min-size SIZE      ignore calls below SIZE bytes, filtered in BPF (default 32K)
              --precise            also probe the malloc family (slow: a uprobe trap on every call)
              --spike-threshold TIME
                                   report calls this slow with their stack and kernel cause (page population
                                   and faults, reclaim, compaction, off-CPU, preempted, on-CPU) as alloc_spike
                                   (default 5ms; off)
              --cause-mmap-lock    also measure mmap_lock waits in slow calls: a tracepoint on every
                                   mmap_lock acquisition of every process on the host (off by default)
          -o, --output FILE        line-protocol file, appended to (default alloclat-<timestamp>.lp); 'none': no file
              --output-max-size SIZE
                                   rotate the file before an interval takes it past SIZE (e.g. 100M): FILE.1 is
                                   the newest older file
              --output-keep N      older files kept when rotating (default 5)
              --config FILE        options from a TOML file by long name, top level or in their section
                                   (min-size = "64K", precise = true, [influx] url = "..."), ${VAR} expanded;
                                   options after --config override it
          -q, --quiet              no live screen or table, no summary on stdout
              --plain              one plain table per interval even on a terminal (no live screen)
              --summary FILE       also write the run summary (whole-run percentiles, totals, slowest calls)
                                   as JSON to FILE
          -v, --verbose            libbpf's messages and details of what is probed
              --host NAME          host tag (default: this host's name)
              --btf FILE           kernel BTF for kernels without /sys/kernel/btf/vmlinux
              --perf-pages N       perf-buffer pages per CPU, a power of two (default: 16 MiB over all CPUs,
                                   64 to 512 pages each)
              --influx-url URL     also write to InfluxDB (or VictoriaMetrics) at URL
              --influx-db DB       InfluxDB 1.x database (user from --influx-user, password from
                                   ALLOCLAT_INFLUX_PASSWORD)
              --influx-org ORG --influx-bucket BUCKET
                                   InfluxDB 2.x/3.x; the token from ALLOCLAT_INFLUX_TOKEN or --influx-token-file
              --influx-token-file FILE
              --influx-queue LINES points kept in memory while the database is unreachable (default 100000)
              --alert RULE         alert rule, repeatable: 'p999 > 5ms for 3 intervals',
                                   'p999 > 4x baseline(30) for 2 intervals resolve after 3 intervals op=mmap'
                                   (docs/alerts.md); state changes go to stderr, the table, the output and InfluxDB
              --alert-file FILE    rules, one per line, # starts a comment
              --alert-webhook URL  also POST firing and resolved alerts as JSON to URL (retried, never blocks tracing)
              --kafka-brokers LIST publish every series' interval histogram to Kafka (fleet mode, alloclat aggregate)
              --kafka-topic TOPIC  topic (default alloclat.histograms)
              --kafka-properties FILE
                                   librdkafka properties (SASL, TLS); also ALLOCLAT_KAFKA_<PROPERTY> variables
              --kafka-queue N      messages kept while brokers are unreachable (default 100000)
              --histograms         also write the interval histograms to the output file (alloclat merge)

        Exit codes: the traced command's own code with -- COMMAND; otherwise 0 ok, 2 bad option, 3 no privilege,
        4 missing kernel feature, 5 libbpf missing or too old, 6 no such process, 7 traced process exited,
        8 binary not ELF or no allocator found, 9 InfluxDB rejected the points, 130 interrupted.
        """;

    public static async Task<int> Main(string[] args)
    {
        var console = new SystemConsole();
        return await RunAsync(args, console);
    }

    public static async Task<int> RunAsync(string[] args, IConsole console)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                console.Out.WriteLine(Usage);
                return args.Length == 0 ? (int)ReturnCode.ArgumentError : 0;
            }
            if (args[0] is "--version")
            {
                console.Out.WriteLine($"alloclat {typeof(Program).Assembly.GetName().Version?.ToString(3)}");
                return 0;
            }
            if (args[0] is "aggregate" or "merge")
                return await RunFleetVerbAsync(args, console);
            if (args[0] == "ps")
                return new PsCommand(args[1..], console).Run();
            if (args[0] == "report")
                return new ReportCommand(args[1..], console).Run();
            if (args[0] != "record")
                throw OptionParser.Bad($"unknown command '{args[0]}' (try 'alloclat record --help')");
            if (args.Skip(1).TakeWhile(a => a != "--").Any(a => a is "-h" or "--help"))
            {
                console.Out.WriteLine(Usage);
                return 0;
            }
            var options = OptionParser.ParseRecord(args[1..]);
            foreach (var warning in options.Warnings)
                console.Error.WriteLine($"[WARN] {warning}");
            return await new RecordCommand(options, console).RunAsync();
        }
        catch (Exception e) when (ExitCodeMap.For(e) is { } code)
        {
            console.Error.WriteLine($"[ERROR] {e.Message}");
            return (int)code;
        }
    }

    private static async Task<int> RunFleetVerbAsync(string[] args, IConsole console)
    {
        bool aggregate = args[0] == "aggregate";
        if (args.Skip(1).Any(a => a is "-h" or "--help"))
        {
            console.Out.WriteLine(aggregate ? AggregateOptions.Usage : MergeCommand.Usage);
            return 0;
        }
        return aggregate
            ? await new AggregateCommand(AggregateOptions.Parse(args[1..]), console).RunAsync()
            : MergeCommand.Run(args[1..], console);
    }
}

/// <summary>Where the command writes: the live table to Out, one-line messages to Error.</summary>
public interface IConsole
{
    TextWriter Out { get; }
    TextWriter Error { get; }

    /// <summary>Whether Out is a terminal a live screen can be drawn on.</summary>
    bool OutIsTerminal => false;
}

internal sealed class SystemConsole : IConsole
{
    public TextWriter Out { get; } = Console.Out;
    public TextWriter Error { get; } = Console.Error;

    public bool OutIsTerminal => !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "" or "dumb");
}
