using System.Globalization;

namespace Tracer.Sinks.Tests;

/// <summary>Writer settings and row helpers for the tests against real databases.</summary>
internal static class RealDb
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static InfluxWriterOptions Fast(InfluxWriterOptions options) => options with
    {
        InitialRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromMilliseconds(300),
        FatalRetryDelay = TimeSpan.FromSeconds(60),
        RequestTimeout = TimeSpan.FromSeconds(10),
        FlushTimeout = TimeSpan.FromSeconds(10),
    };

    public static string Pid(int pid) => pid.ToString(CultureInfo.InvariantCulture);

    /// <summary>The field values a series point must carry, by field key.</summary>
    public static IReadOnlyDictionary<string, long> Fields(Tracer.Core.LatencyStats s) => new Dictionary<string, long>
    {
        ["count"] = s.Count,
        ["bytes"] = s.Bytes,
        ["min"] = s.Min,
        ["mean"] = s.Mean,
        ["p50"] = s.P50,
        ["p90"] = s.P90,
        ["p99"] = s.P99,
        ["p999"] = s.P999,
        ["p9999"] = s.P9999,
        ["max"] = s.Max,
    };

    public static IReadOnlyDictionary<string, long> Fields(Tracer.Core.CollectorStats s) => new Dictionary<string, long>
    {
        ["events"] = s.Events,
        ["lost"] = s.Lost,
        ["inflight_dropped"] = s.InflightDropped,
        ["sink_dropped"] = s.SinkDropped,
    };
}
