using Tracer.Core;

namespace Tracer.Alerts.Tests;

/// <summary>Synthetic interval streams: one snapshot per call, one second apart.</summary>
internal static class Synthetic
{
    public const long Start = 1_795_425_600_000_000_000;

    public static SeriesSnapshot Series(long p999, string op = "malloc", string pid = "42", string measurement = "alloc_latency") =>
        new(measurement,
        [
            new("allocator", "glibc"), new("comm", "demo"), new("op", op), new("pid", pid), new("size_class", "64K"),
        ], new LatencyStats(100, 6_553_600, 1000, 2000, 1500, 2500, p999 / 2, p999, p999, p999));

    public static IntervalSnapshot At(int index, params SeriesSnapshot[] series) =>
        new(Start + index * 1_000_000_000L, Start + (index + 1) * 1_000_000_000L, "web-1", series, default);

    /// <summary>Runs p99.9 values (ms; null: no calls that interval) through one rule; returns "i:state" per transition.</summary>
    public static List<string> Run(string rule, params double?[] p999Ms)
    {
        var engine = new AlertEngine([AlertRuleParser.Parse(rule)]);
        var seen = new List<string>();
        for (int i = 0; i < p999Ms.Length; i++)
        {
            var snapshot = p999Ms[i] is double ms ? At(i, Series((long)(ms * 1_000_000))) : At(i);
            foreach (var t in engine.Evaluate(snapshot))
                seen.Add($"{i}:{t.StateName}");
        }
        return seen;
    }
}
