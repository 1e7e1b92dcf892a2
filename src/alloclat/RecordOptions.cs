using System.Globalization;
using Tracer.Alerts;
using Tracer.Core;

namespace Alloclat.Cli;

/// <summary>Everything <c>alloclat record</c> accepts, after validation.</summary>
public sealed record RecordOptions
{
    public int? Pid { get; init; }
    public string? Binary { get; init; }
    public IReadOnlyList<string> Command { get; init; } = [];
    public bool AllProcesses { get; init; }
    /// <summary>-n/--name: processes of these names (comm), running now and executed later.</summary>
    public IReadOnlyList<string> Names { get; init; } = [];
    /// <summary>--cgroup: the processes in this cgroup directory and below it.</summary>
    public string? Cgroup { get; init; }
    /// <summary>--per-thread: series per thread, with a <c>thread</c> tag.</summary>
    public bool PerThread { get; init; }
    public TimeSpan? Duration { get; init; }
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);
    public ulong MinSize { get; init; } = 32 * 1024;
    public bool Precise { get; init; }
    /// <summary>The line-protocol file (appended to); <c>none</c> writes no file.</summary>
    public string? Output { get; init; }
    public bool OutputDisabled => Output == "none";
    /// <summary>Rotate the output when it reaches this size; null: never.</summary>
    public ulong? OutputMaxSize { get; init; }
    /// <summary>Rotated files kept beside the output (FILE.1 the newest).</summary>
    public int OutputKeep { get; init; } = 5;
    public bool OutputKeepGiven { get; init; }
    /// <summary>Also write the run summary as JSON to this file.</summary>
    public string? SummaryPath { get; init; }
    public bool Quiet { get; init; }
    /// <summary>Plain interval tables even on a terminal (no live screen).</summary>
    public bool Plain { get; init; }
    public bool Verbose { get; init; }
    public string? Host { get; init; }
    public string? BtfPath { get; init; }
    /// <summary>Perf-ring pages per CPU; by default 16 MiB shared by all CPUs, 64 to 512 pages each.</summary>
    public int PerfPagesPerCpu { get; init; } = DefaultPerfPages(Environment.ProcessorCount);

    /// <summary>
    /// Big enough rings ride out the moments the collector is not scheduled while every CPU produces events (a
    /// 2-CPU storm of 400k events/s loses none at 512 pages); the total stays bounded on hosts with many CPUs.
    /// </summary>
    public static int DefaultPerfPages(int cpus) =>
        Math.Clamp(1 << System.Numerics.BitOperations.Log2((uint)(16 * 1024 * 1024 / Environment.SystemPageSize / Math.Max(cpus, 1))), 64, 512);
    public string? InfluxUrl { get; init; }
    public string? InfluxDatabase { get; init; }
    public string? InfluxUser { get; init; }
    public string? InfluxOrg { get; init; }
    public string? InfluxBucket { get; init; }
    public string? InfluxTokenFile { get; init; }
    public int InfluxQueueLines { get; init; } = 100_000;

    /// <summary>Calls at least this slow are reported with stack and kernel cause (alloc_spike); zero: off.</summary>
    public TimeSpan SpikeThreshold { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Also measure mmap_lock waits in slow calls (a tracepoint on every mmap_lock acquisition host-wide).</summary>
    public bool CauseMmapLock { get; init; }
    public IReadOnlyList<AlertRule> Alerts { get; init; } = [];
    public string? AlertWebhook { get; init; }

    /// <summary>Lines for stderr found while parsing (an old-form config file), printed before anything runs.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Fleet mode: publish every series' interval histogram to these Kafka brokers.</summary>
    public string? KafkaBrokers { get; init; }
    public string KafkaTopic { get; init; } = "alloclat.histograms";
    /// <summary>librdkafka properties (SASL, TLS) file; secrets also from ALLOCLAT_KAFKA_* variables.</summary>
    public string? KafkaProperties { get; init; }
    public int KafkaQueueMessages { get; init; } = 100_000;
    /// <summary>Also write the interval histograms to the output file (alloclat merge reads them).</summary>
    public bool Histograms { get; init; }
}

/// <summary>
/// Parses the command line. Every malformed value is an <see cref="AlloclatException"/> with
/// <see cref="ReturnCode.ArgumentError"/> and a message naming the option and the value.
/// </summary>
public static class OptionParser
{
    public static RecordOptions ParseRecord(IReadOnlyList<string> args)
    {
        var o = new RecordOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                o = o with { Command = args.Skip(i + 1).ToArray() };
                break;
            }
            string name = arg, inline = "";
            bool hasInline = false;
            int eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                name = arg[..eq];
                inline = arg[(eq + 1)..];
                hasInline = true;
            }
            string Value()
            {
                if (hasInline)
                    return inline;
                if (i + 1 >= args.Count)
                    throw Bad($"option {name} needs a value");
                return args[++i];
            }
            o = Apply(o, name, arg, Value);
        }
        Validate(o);
        return o;
    }

    /// <summary>
    /// One option and its value, from the command line or a config file: the same parsing and the same messages
    /// either way.
    /// </summary>
    private static RecordOptions Apply(RecordOptions o, string name, string arg, Func<string> Value) => name switch
    {
        "-p" or "--process-id" => o with { Pid = ParsePid(Value()) },
        "--binary" => o with { Binary = Value() },
        "--all" => o with { AllProcesses = true },
        "-n" or "--name" => o with { Names = [.. o.Names, ParseName(name, Value())] },
        "--cgroup" => o with { Cgroup = NonEmpty(name, Value()) },
        "--per-thread" => o with { PerThread = true },
        "-d" or "--duration" => o with { Duration = ParseDuration(name, Value()) },
        "--interval" => o with { Interval = ParseDuration(name, Value()) },
        "--spike-threshold" => o with { SpikeThreshold = ParseThreshold(name, Value()) },
        "--min-size" => o with { MinSize = ParseSize(name, Value()) },
        "--precise" => o with { Precise = true },
        "--cause-mmap-lock" => o with { CauseMmapLock = true },
        "-o" or "--output" => o with { Output = Value() },
        "-q" or "--quiet" => o with { Quiet = true },
        "--plain" => o with { Plain = true },
        "--summary" => o with { SummaryPath = NonEmpty(name, Value()) },
        "--output-max-size" => o with { OutputMaxSize = ParseSize(name, Value()) },
        "--output-keep" => o with { OutputKeep = ParsePositiveInt(name, Value()), OutputKeepGiven = true },
        "-v" or "--verbose" => o with { Verbose = true },
        "--host" => o with { Host = NonEmpty(name, Value()) },
        "--btf" => o with { BtfPath = Value() },
        "--perf-pages" => o with { PerfPagesPerCpu = ParsePages(name, Value()) },
        "--influx-url" => o with { InfluxUrl = ParseUrl(name, Value()) },
        "--influx-db" => o with { InfluxDatabase = NonEmpty(name, Value()) },
        "--influx-user" => o with { InfluxUser = NonEmpty(name, Value()) },
        "--influx-org" => o with { InfluxOrg = NonEmpty(name, Value()) },
        "--influx-bucket" => o with { InfluxBucket = NonEmpty(name, Value()) },
        "--influx-token-file" => o with { InfluxTokenFile = Value() },
        "--influx-queue" => o with { InfluxQueueLines = ParsePositiveInt(name, Value()) },
        "--alert" => o with { Alerts = [.. o.Alerts, ParseAlert(Value())] },
        "--alert-file" => o with { Alerts = [.. o.Alerts, .. ParseAlertFile(Value())] },
        "--alert-webhook" => o with { AlertWebhook = ParseUrl(name, Value()) },
        "--kafka-brokers" => o with { KafkaBrokers = NonEmpty(name, Value()) },
        "--kafka-topic" => o with { KafkaTopic = NonEmpty(name, Value()) },
        "--kafka-properties" => o with { KafkaProperties = Value() },
        "--kafka-queue" => o with { KafkaQueueMessages = ParsePositiveInt(name, Value()) },
        "--histograms" => o with { Histograms = true },
        "--config" => ConfigFile.Apply(o, Value(), Apply),
        "--influx-token" => throw Bad("--influx-token is not accepted on the command line (it would show in ps): set ALLOCLAT_INFLUX_TOKEN or use --influx-token-file"),
        _ when arg.StartsWith('-') => throw Bad($"unknown option {arg} (see 'alloclat record --help')"),
        _ => throw Bad($"unexpected argument '{arg}': put the command to trace after --"),
    };

    private static void Validate(RecordOptions o)
    {
        int targets = (o.Pid is null ? 0 : 1) + (o.Binary is null ? 0 : 1) + (o.Command.Count == 0 ? 0 : 1) + (o.AllProcesses ? 1 : 0)
            + (o.Names.Count == 0 ? 0 : 1) + (o.Cgroup is null ? 0 : 1);
        if (targets == 0)
            throw Bad("nothing to trace: give -p PID, --binary PATH, -n NAME, --cgroup PATH, --all, or -- COMMAND");
        if (targets > 1)
            throw Bad("give only one of -p, --binary, -n, --cgroup, --all and -- COMMAND");
        if (o.AlertWebhook is not null && o.Alerts.Count == 0)
            throw Bad("--alert-webhook needs rules: give --alert RULE or --alert-file PATH");
        if (o.OutputDisabled && (o.OutputMaxSize is not null || o.OutputKeepGiven))
            throw Bad("--output-max-size and --output-keep need an output file, not --output none");
        if (o.OutputKeepGiven && o.OutputMaxSize is null)
            throw Bad("--output-keep needs --output-max-size (files are rotated only at a size)");
        if (o.OutputMaxSize is < 4096)
            throw Bad($"invalid size '{o.OutputMaxSize}' for --output-max-size: must be at least 4K");
        if (o.Precise && o.AllProcesses)
            throw Bad("--precise needs a target (-p, --binary or -- COMMAND): probing every malloc of every process is not offered");
        if (o.KafkaBrokers is null && (o.KafkaProperties is not null || o.KafkaTopic != new RecordOptions().KafkaTopic))
            throw Bad("--kafka-topic/--kafka-properties need --kafka-brokers");
        if (o.InfluxUrl is null)
        {
            if (o.InfluxDatabase is not null || o.InfluxOrg is not null || o.InfluxBucket is not null)
                throw Bad("--influx-db/--influx-org/--influx-bucket need --influx-url");
            return;
        }
        bool v1 = o.InfluxDatabase is not null, v2 = o.InfluxOrg is not null || o.InfluxBucket is not null;
        if (v1 == v2)
            throw Bad("with --influx-url give either --influx-db (InfluxDB 1.x) or --influx-org and --influx-bucket (2.x/3.x)");
        if (v2 && (o.InfluxOrg is null || o.InfluxBucket is null))
            throw Bad("--influx-org and --influx-bucket go together");
    }

    public static AlloclatException Bad(string message) => new(ReturnCode.ArgumentError, message);

    private static int ParsePid(string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 0)
            throw Bad($"invalid process id '{value}': expected a positive integer");
        return pid;
    }

    /// <summary>A process name as the kernel keeps it (comm): at most 15 bytes, no slash.</summary>
    private static string ParseName(string name, string value)
    {
        if (string.IsNullOrEmpty(value) || value.Contains('/'))
            throw Bad($"invalid process name '{value}' for {name}: give the name ps shows (comm), not a path; for a path use --binary");
        if (System.Text.Encoding.UTF8.GetByteCount(value) > 15)
            throw Bad($"invalid process name '{value}' for {name}: the kernel keeps 15 bytes of a process name; give '{TruncateName(value)}'");
        return value;
    }

    private static string TruncateName(string value)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(value);
        return System.Text.Encoding.UTF8.GetString(bytes, 0, 15);
    }

    internal static string NonEmpty(string name, string value) =>
        string.IsNullOrWhiteSpace(value) ? throw Bad($"option {name} needs a non-empty value") : value;

    internal static int ParsePositiveInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n : throw Bad($"invalid value '{value}' for {name}: expected a positive integer");

    private static int ParsePages(string name, string value)
    {
        int n = ParsePositiveInt(name, value);
        return (n & (n - 1)) == 0 ? n : throw Bad($"invalid value '{value}' for {name}: expected a power of two");
    }

    public static ulong ParseSize(string name, string value) =>
        SizeClass.TryParseSize(value, out ulong bytes)
            ? bytes
            : throw Bad($"invalid size '{value}' for {name}: expected a number with an optional unit K, M or G (e.g. 32K)");

    /// <summary>A duration, or <c>off</c> (or 0) for none.</summary>
    private static TimeSpan ParseThreshold(string name, string value) =>
        value is "off" or "0" ? TimeSpan.Zero : ParseDuration(name, value);

    /// <summary><c>500ms</c>, <c>15s</c>, <c>2m</c>, <c>1h</c>; a bare number is seconds.</summary>
    public static TimeSpan ParseDuration(string name, string value)
    {
        var s = value.Trim();
        int end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.'))
            end++;
        if (end == 0 || !double.TryParse(s.AsSpan(0, end), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n))
            throw Bad($"invalid duration '{value}' for {name}: expected e.g. 500ms, 15s, 2m, 1h");
        double ms = s[end..] switch
        {
            "ms" => n,
            "" or "s" => n * 1000,
            "m" => n * 60_000,
            "h" => n * 3_600_000,
            _ => throw Bad($"invalid duration '{value}' for {name}: expected e.g. 500ms, 15s, 2m, 1h"),
        };
        if (ms < 1 || ms > TimeSpan.FromDays(365).TotalMilliseconds)
            throw Bad($"invalid duration '{value}' for {name}: must be between 1ms and 365 days");
        return TimeSpan.FromMilliseconds(ms);
    }

    internal static AlertRule ParseAlert(string text)
    {
        try
        {
            return AlertRuleParser.Parse(text);
        }
        catch (AlertRuleException e)
        {
            throw Bad($"--alert: {e.Message}");
        }
    }

    internal static IReadOnlyList<AlertRule> ParseAlertFile(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Bad($"cannot read --alert-file {path}: {e.Message}");
        }
        try
        {
            var rules = AlertRuleParser.ParseFile(path, lines);
            return rules.Count > 0 ? rules : throw Bad($"--alert-file {path} holds no rule");
        }
        catch (AlertRuleException e)
        {
            throw Bad($"--alert-file {e.Message}");
        }
    }

    internal static string ParseUrl(string name, string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw Bad($"invalid URL '{value}' for {name}: expected http://host:port or https://host:port");
        return value.TrimEnd('/');
    }
}
