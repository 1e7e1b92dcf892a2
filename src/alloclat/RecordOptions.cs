using Alloclat.Cli.CommandLine;
using Tracer.Alerts;

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
    /// <summary>--raw-latency: latencies as measured, the probes' calibrated cost not subtracted.</summary>
    public bool RawLatency { get; init; }
    /// <summary>Traced calls are counted into latency histograms in the kernel (off: one event per call, aggregated here).</summary>
    public bool KernelHistograms { get; init; } = true;

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

    /// <summary>--influx-*: where points also go; <see cref="InfluxSettings.Url"/> null: nowhere.</summary>
    public InfluxSettings Influx { get; init; } = new();

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
    public string KafkaTopic { get; init; } = KafkaOptionGroup.DefaultTopic;
    /// <summary>librdkafka properties (SASL, TLS) file; secrets also from ALLOCLAT_KAFKA_* variables.</summary>
    public string? KafkaProperties { get; init; }
    public int KafkaQueueMessages { get; init; } = 100_000;
    /// <summary>Also write the interval histograms to the output file (alloclat merge reads them).</summary>
    public bool Histograms { get; init; }
}
