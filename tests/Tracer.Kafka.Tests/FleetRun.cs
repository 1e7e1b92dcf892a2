using System.Diagnostics;
using System.Globalization;
using Tracer.TestSupport;

namespace Tracer.Kafka.Tests;

/// <summary>Collectors and aggregators as a user runs them: bin/alloclat processes.</summary>
public static class FleetRun
{
    public const string Interval = "500ms";
    public const long IntervalNs = 500_000_000;

    private static readonly List<CapturedProcess> s_started = [];

    /// <summary>Kills whatever a test started and left running (it failed before stopping them).</summary>
    public static void KillLeftovers()
    {
        lock (s_started)
        {
            foreach (var p in s_started.Where(p => !p.HasExited))
                p.Kill();
            s_started.Clear();
        }
    }

    private static CapturedProcess Track(CapturedProcess p)
    {
        lock (s_started)
            s_started.Add(p);
        return p;
    }

    /// <summary>
    /// A traced run on its own --host: a shell that runs the allocation workload <paramref name="rounds"/> times,
    /// paced so the run spans several intervals (20 mmap and 20 munmap calls of 1 MiB per round). The loop starts
    /// once <paramref name="gate"/> exists, so hosts started one after the other run at the same time.
    /// </summary>
    public static CapturedProcess Collector(string host, string brokers, string output, int rounds, string gate, IEnumerable<string>? extra = null)
    {
        string loop = $"while [ ! -e {gate} ]; do sleep 0.02; done; i=0; while [ $i -lt {rounds.ToString(CultureInfo.InvariantCulture)} ]; do {Tracer.TestSupport.Collector.Workload("alloc_workload")} 4 1 0 >/dev/null; sleep 0.15; i=$((i+1)); done";
        return Track(CapturedProcess.Start(Tracer.TestSupport.Collector.Exe,
        [
            "record", "-q", "--host", host, "--interval", Interval, "--kafka-brokers", brokers, "--histograms", "-o", output,
            .. extra ?? [], "--", "/bin/sh", "-c", loop,
        ]));
    }

    public static CapturedProcess Aggregator(string name, string brokers, string group, Uri influx, string database, params string[] extra) =>
        Aggregator(name, brokers, group, ["--influx-url", influx.ToString().TrimEnd('/'), "--influx-db", database, .. extra]);

    /// <summary>An aggregator writing through the v2 API (VictoriaMetrics, InfluxDB 2.x), token from the environment.</summary>
    public static CapturedProcess AggregatorV2(string name, string brokers, string group, Uri url) =>
        Aggregator(name, brokers, group, ["--influx-url", url.ToString().TrimEnd('/'), "--influx-org", "alloclat", "--influx-bucket", "fleet"]);

    private static CapturedProcess Aggregator(string name, string brokers, string group, string[] output)
    {
        return Track(CapturedProcess.Start(Tracer.TestSupport.Collector.Exe,
        [
            // Three collectors, three aggregators and a database share two cores here: a host's first messages (JIT,
            // the idempotent producer's handshake) can take over a second, so windows wait 3 s rather than 1 s.
            "aggregate", "--kafka-brokers", brokers, "--group", group, "--interval", Interval, "--lateness", "6", "--host", name,
            .. output,
        ],
        // A killed member leaves the group after its session times out: 6 s rather than librdkafka's 45 s.
        new Dictionary<string, string>
        {
            ["ALLOCLAT_KAFKA_SESSION_TIMEOUT_MS"] = "6000",
            ["ALLOCLAT_KAFKA_HEARTBEAT_INTERVAL_MS"] = "500",
            ["ALLOCLAT_INFLUX_TOKEN"] = "test-token",
        }));
    }

    /// <summary>Waits until the process has written <paramref name="text"/> to stderr.</summary>
    public static void WaitFor(CapturedProcess p, string text, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (!p.StderrSoFar.Contains(text, StringComparison.Ordinal))
        {
            if (p.HasExited)
                throw new InvalidOperationException($"exited before '{text}':\n{p.StderrSoFar}");
            if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(60)))
                throw new TimeoutException($"no '{text}' within {timeout}:\n{p.StderrSoFar}");
            Thread.Sleep(20);
        }
    }

    public static long AsLong(object? v) => v switch
    {
        long l => l,
        double d => (long)d,
        _ => throw new InvalidCastException($"not a number: {v}"),
    };
}
