namespace Tracer.Core;

/// <summary>
/// The names of the output schema (docs/schema.md): measurements, tags and fields, as every point is written and
/// read back. Producers and sinks name them only through these constants, so a rename is one edit here.
/// </summary>
public static class Schema
{
    /// <summary>Measurement names.</summary>
    public static class Measurements
    {
        /// <summary>Latency of allocation calls per series and interval.</summary>
        public const string Latency = "alloc_latency";

        /// <summary>Stop-the-world pauses of a managed runtime (Go, .NET) per series and interval.</summary>
        public const string GcPause = "gc_pause";

        /// <summary>One slow call with its causes and stack.</summary>
        public const string Spike = "alloc_spike";

        /// <summary>Health of the collector over one interval.</summary>
        public const string Stats = "alloclat_stats";

        /// <summary>The whole run per series, and the run's totals.</summary>
        public const string Run = "alloc_latency_run";

        /// <summary>An alert rule's transition.</summary>
        public const string Alert = "alert";

        /// <summary>Large- and pinned-heap allocation ticks of a .NET runtime.</summary>
        public const string DotnetAllocSample = "dotnet_alloc_sample";

        /// <summary>An interval's HDR histogram of one series (<c>--histograms</c>, in the line-protocol file only).</summary>
        public const string Histogram = "alloc_latency_hdr";

        /// <summary>Appended to a series' measurement for its window merged over hosts (<c>alloc_latency_fleet</c>).</summary>
        public const string FleetSuffix = "_fleet";

        /// <summary>Health of a fleet aggregator over one interval.</summary>
        public const string FleetStats = "alloclat_fleet_stats";
    }

    /// <summary>Tag keys.</summary>
    public static class Tags
    {
        public const string Host = "host";
        public const string Pid = "pid";
        public const string Comm = "comm";
        public const string Container = "container";
        public const string Thread = "thread";
        public const string Allocator = "allocator";
        public const string Op = "op";
        public const string SizeClass = "size_class";

        /// <summary><c>gc_pause</c>: the runtime paused (<c>go</c>, <c>dotnet</c>).</summary>
        public const string Runtime = "runtime";

        public const string Generation = "generation";
        public const string Reason = "reason";
        public const string Type = "type";

        /// <summary><c>dotnet_alloc_sample</c>: <c>large</c> or <c>pinned</c>.</summary>
        public const string Kind = "kind";

        /// <summary><c>alloc_spike</c>: the largest share of the call.</summary>
        public const string Cause = "cause";

        /// <summary><c>alert</c>, <c>alloc_latency_run</c>, <c>alloc_latency_hdr</c>: the measurement of the series concerned.</summary>
        public const string Source = "source";

        public const string Rule = "rule";
        public const string State = "state";
        public const string Field = "field";
    }

    /// <summary>Field keys.</summary>
    public static class Fields
    {
        public const string Count = "count";
        public const string Bytes = "bytes";
        public const string Min = "min";
        public const string Mean = "mean";
        public const string P50 = "p50";
        public const string P90 = "p90";
        public const string P99 = "p99";
        public const string P999 = "p999";
        public const string P9999 = "p9999";
        public const string Max = "max";

        public const string Events = "events";
        public const string Lost = "lost";
        public const string InflightDropped = "inflight_dropped";
        public const string SinkDropped = "sink_dropped";
        public const string TargetsFull = "targets_full";
        public const string ProbeCostNs = "probe_cost_ns";
        public const string ProbeCostSteppedNs = "probe_cost_stepped_ns";
        public const string RawLatency = "raw_latency";

        public const string Start = "start";
        public const string Intervals = "intervals";
        public const string Spikes = "spikes";
        public const string Sequence = "seq";
        public const string Hdr = "hdr";
        public const string Hosts = "hosts";

        public const string Latency = "latency";
        public const string Size = "size";
        public const string ReclaimNs = "reclaim_ns";
        public const string CompactionNs = "compaction_ns";
        public const string MmapLockNs = "mmap_lock_ns";
        public const string OnCpuNs = "on_cpu_ns";
        public const string OffCpuNs = "off_cpu_ns";
        public const string RunqueueNs = "runqueue_ns";
        public const string BlockedNs = "blocked_ns";
        public const string SwapinNs = "swapin_ns";
        public const string ThrashingNs = "thrashing_ns";
        public const string IoNs = "io_ns";
        public const string Faults = "faults";
        public const string MajorFaults = "major_faults";
        public const string VoluntarySwitches = "voluntary_switches";
        public const string InvoluntarySwitches = "involuntary_switches";
        public const string DelayAccounting = "delayacct";
        public const string Moved = "moved";
        public const string Tid = "tid";
        public const string Stack = "stack";

        public const string Value = "value";
        public const string Threshold = "threshold";
        public const string Baseline = "baseline";
        public const string Previous = "previous";
        public const string Expression = "expr";
        public const string Firing = "firing";

        public const string Samples = "samples";
        public const string BytesPerSecond = "bytes_per_s";
        public const string SizeMin = "size_min";
        public const string SizeMean = "size_mean";
        public const string SizeP50 = "size_p50";
        public const string SizeP99 = "size_p99";
        public const string SizeMax = "size_max";
        public const string TopTypes = "top_types";
    }
}
