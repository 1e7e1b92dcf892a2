using System.Globalization;
using Tracer.Core;

namespace Tracer.Sinks.Tests;

/// <summary>Snapshots and process names shared by the sink tests.</summary>
internal static class TestData
{
    public const long GoldenTimestamp = 1795425600000000000;

    /// <summary>
    /// Process names that stress the escaping, with the value a database must hand back: unchanged except for
    /// the documented replacements (control characters and awkward backslashes become '?', empty becomes '-').
    /// </summary>
    public static readonly (string Raw, string Stored)[] NastyNames =
    [
        ("plain", "plain"),
        ("my prog", "my prog"),
        ("a,b", "a,b"),
        ("k=v", "k=v"),
        ("say \"hi\"", "say \"hi\""),
        ("it's", "it's"),
        ("back\\slash", "back\\slash"),
        ("trail\\", "trail?"),
        ("\\", "?"),
        ("dbl\\\\x", "dbl?\\x"),
        ("esc\\,comma", "esc?,comma"),
        ("esc\\ space", "esc? space"),
        ("esc\\=eq", "esc?=eq"),
        ("line\nbreak", "line?break"),
        ("tab\there", "tab?here"),
        ("cr\r", "cr?"),
        ("nul\0x", "nul?x"),
        ("\u007fdel\u0085", "?del?"),
        ("rocket🚀", "rocket🚀"),
        ("ünïcødé-名前", "ünïcødé-名前"),
        ("", "-"),
        (" ", " "),
        ("=", "="),
        (",lead", ",lead"),
        ("trailing ", "trailing "),
        ("lone\ud800x", "lone\ufffdx"),
        ("#hash", "#hash"),
        ("kworker/0:1H-kb", "kworker/0:1H-kb"),
    ];

    public static SeriesSnapshot Series(int pid, string comm, string allocator, string op, string sizeClass, LatencyStats stats,
        string measurement = "alloc_latency")
        => new(measurement,
        [
            new("allocator", allocator),
            new("comm", comm),
            new("op", op),
            new("pid", pid.ToString(CultureInfo.InvariantCulture)),
            new("size_class", sizeClass),
        ], stats);

    public static LatencyStats Stats(long seed) => new(
        Count: 10 + seed, Bytes: 1_048_576 * (seed + 1), Min: 1000 + seed, Mean: 2000 + seed, P50: 1900 + seed, P90: 3000 + seed,
        P99: 5000 + seed, P999: 9000 + seed, P9999: 12000 + seed, Max: 15000 + seed);

    /// <summary>One series per nasty name, pid 1000 + index.</summary>
    public static IntervalSnapshot NastySnapshot(long endNs, string host)
        => new(endNs - 1_000_000_000, endNs, host,
            NastyNames.Select((n, i) => Series(1000 + i, n.Raw, "glibc", "malloc", "32K", Stats(i))).ToList(),
            new CollectorStats(123, 4, 5, 6));

    /// <summary>A snapshot with <paramref name="seriesCount"/> series whose values depend on <paramref name="seed"/>.</summary>
    public static IntervalSnapshot Snapshot(long endNs, string host, int seriesCount, long seed)
    {
        string[] ops = ["malloc", "calloc", "mmap", "free"];
        string[] sizes = ["32K", "1M", "512B", "2G"];
        var series = Enumerable.Range(0, seriesCount)
            .Select(i => Series(4000 + i, $"proc{i}", i % 2 == 0 ? "glibc" : "jemalloc", ops[i % ops.Length], sizes[i % sizes.Length], Stats(seed * 100 + i)))
            .ToList();
        return new IntervalSnapshot(endNs - 1_000_000_000, endNs, host, series, new CollectorStats(1000 + seed, seed, 2 * seed, 3 * seed));
    }

    /// <summary>A recent timestamp on a whole millisecond (VictoriaMetrics keeps milliseconds).</summary>
    public static long NowNs(int offsetSeconds = 0)
        => (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + offsetSeconds * 1000L) * 1_000_000;

    public static string UniqueName(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N")[..10];
}
