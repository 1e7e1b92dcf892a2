using System.Text.Json;
using HdrHistogram;

namespace Alloclat.Tests;

/// <summary>
/// The run summary holds whole-run percentiles of the merged interval histograms. The workload's calls take known,
/// different times (an LD_PRELOAD malloc that spins for a listed duration each call), each longer than the
/// interval, so almost every interval of the slow series holds one call and its interval point (min, percentiles,
/// max) names every value in it. The test rebuilds each interval's histogram from those points, merges them with
/// HdrHistogram itself and computes nearest-rank percentiles: the summary must give exactly these numbers.
/// </summary>
public class RunSummaryTests
{
    // 20 calls, 60 to 250 ms, in a scrambled order so no interval's value is the run's median.
    private static readonly long[] s_latenciesMs = [130, 60, 250, 90, 170, 110, 200, 70, 150, 230, 80, 190, 120, 240, 100, 160, 210, 140, 180, 220];

    [Fact]
    public void SummaryPercentilesAreThoseOfTheMergedIntervalHistograms()
    {
        string output = "", json = "";
        CliResult result = null!;
        List<Point> points = [], intervals = [];
        // The rebuild needs at most three calls per interval; only a collector stalled for half a second on a
        // loaded machine puts more in one. Then the run is repeated (at most three times), not judged.
        for (int attempt = 0; attempt < 3 && (attempt == 0 || intervals.Any(p => p["count"] > 3)); attempt++)
        {
            output = Cli.TempOutput();
            json = Path.Combine(Path.GetDirectoryName(output)!, "summary.json");
            result = Cli.Run(["record", "--precise", "--interval", "50ms", "-o", output, "--summary", json, "--",
                "env", $"LD_PRELOAD={Cli.Workload("libslowalloc.so")}",
                $"SLOWALLOC_SERIES={string.Join(',', s_latenciesMs.Select(ms => ms * 1_000_000))}",
                Cli.Workload("alloc_workload"), s_latenciesMs.Length.ToString(), "0", "0"]);
            Assert.True(result.ExitCode == 0, result.ToString());
            points = LineProtocolFile.Read(output).ToList();
            intervals = points.Where(IsSlowMalloc).ToList();
        }
        Assert.Equal(s_latenciesMs.Length, intervals.Sum(p => p["count"]));
        Assert.True(intervals.Count >= s_latenciesMs.Length / 2, $"only {intervals.Count} interval points");

        // Every value of an interval with up to three calls is one of its fields: min is rank 1, p50 rank 2 of 3,
        // max the last rank. (Two calls end in one 50 ms interval only after a stall of the collector.)
        var merged = new LongHistogram(1, 60_000_000_000, 3);
        foreach (var p in intervals)
        {
            long n = p["count"];
            Assert.True(n <= 3, $"interval with {n} calls cannot be rebuilt from its point");
            merged.RecordValue(p["min"]);
            if (n == 3)
                merged.RecordValue(p["p50"]);
            if (n >= 2)
                merged.RecordValue(p["max"]);
        }
        var values = new List<long>();
        foreach (var v in merged.RecordedValues())
            for (long i = 0; i < v.CountAddedInThisIterationStep; i++)
                values.Add(merged.HighestEquivalentValue(v.ValueIteratedTo));
        long Rank(int perTenThousand) => values[(int)Math.Max(1, (perTenThousand * (long)values.Count + 9999) / 10000) - 1];
        var expected = new Dictionary<string, long>
        {
            ["count"] = values.Count,
            ["min"] = merged.LowestEquivalentValue(values[0]),
            ["p50"] = Rank(5000), ["p90"] = Rank(9000), ["p99"] = Rank(9900), ["p999"] = Rank(9990), ["p9999"] = Rank(9999),
            ["max"] = values[^1],
        };
        // The calls really took the listed times. Each call's raw latency is at least its spin (which ends at or
        // after its deadline), and the recorded one has the probes' calibrated cost taken off: at most the
        // single-stepped figure in alloclat_stats. So the k-th smallest measured value is at least the k-th
        // smallest listed one less that figure. The scheduler adds to a call whatever part of it another thread
        // ran in, tens of milliseconds on a loaded 2-core machine; the ceiling only catches a value in the wrong
        // unit or from the wrong call.
        long correction = points.Where(p => p.Measurement == "alloclat_stats").Max(p => p["probe_cost_stepped_ns"]);
        var sorted = s_latenciesMs.Order().Select(ms => ms * 1_000_000).ToArray();
        Assert.Equal(sorted.Length, values.Count);
        for (int i = 0; i < sorted.Length; i++)
            Assert.True(values[i] >= sorted[i] - correction && values[i] < sorted[i] * 2,
                $"rank {i + 1}: measured {values[i]} ns, listed {sorted[i]} ns, correction at most {correction} ns; values {string.Join(",", values)}; points {string.Join(" ", intervals.Select(p => $"{p["count"]}:{p["min"]}/{p["p50"]}/{p["max"]}"))}");

        // The run point in the line-protocol file.
        var run = Assert.Single(points, p => p.Measurement == "alloc_latency_run" && p.Tags.GetValueOrDefault("allocator") == "slowalloc"
            && p.Tags.GetValueOrDefault("op") == "malloc");
        Assert.Equal("alloc_latency", run.Tag("source"));
        Assert.Equal("1M", run.Tag("size_class"));
        foreach (var (field, value) in expected)
            Assert.True(value == run[field], $"{field}: expected {value}, alloc_latency_run has {run[field]}");
        Assert.Equal(points.Where(p => p.Measurement == "alloclat_stats").Max(p => p.Timestamp), run.Timestamp);

        // The same numbers in the JSON summary.
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var series = doc.RootElement.GetProperty("series").EnumerateArray().Single(s =>
            s.GetProperty("tags").GetProperty("allocator").GetString() == "slowalloc" && s.GetProperty("tags").GetProperty("op").GetString() == "malloc");
        foreach (var (field, value) in expected)
            Assert.True(value == series.GetProperty(field).GetInt64(), $"{field}: expected {value}, the JSON has {series.GetProperty(field).GetInt64()}");
        var totals = doc.RootElement.GetProperty("totals");
        var stats = points.Where(p => p.Measurement == "alloclat_stats").ToList();
        Assert.Equal(stats.Count, totals.GetProperty("intervals").GetInt64());
        Assert.Equal(stats.Sum(s => s["events"]), totals.GetProperty("events").GetInt64());
        Assert.Equal(stats.Sum(s => s["lost"]), totals.GetProperty("lost").GetInt64());

        // And printed when the run ends (stdout is not a terminal here: plain tables, then the summary).
        Assert.Contains("whole-run percentiles (merged interval histograms):", result.Stdout);
        Assert.Matches(@"slowalloc\s+malloc\s+1M\s+20\s", result.Stdout);
    }

    [Fact]
    public void TheSlowestCallsAreListedWithCauseAndStack()
    {
        string output = Cli.TempOutput();
        string json = Path.Combine(Path.GetDirectoryName(output)!, "summary.json");
        var result = Cli.Run(["record", "--precise", "--spike-threshold", "20ms", "-o", output, "--summary", json, "--",
            "env", $"LD_PRELOAD={Cli.Workload("libslowalloc.so")}", "SLOWALLOC_SLEEP=1", "SLOWALLOC_SERIES=30000000,60000000,45000000",
            Cli.Workload("alloc_workload"), "3", "0", "0"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var spikes = doc.RootElement.GetProperty("worst_spikes").EnumerateArray()
            .Where(s => s.GetProperty("tags").GetProperty("allocator").GetString() == "slowalloc").ToList();
        Assert.Equal(3, spikes.Count);
        var latencies = spikes.Select(s => s.GetProperty("fields").GetProperty("latency").GetInt64()).ToList();
        // Slowest first: the 60 ms call, then 45 ms, then 30 ms.
        Assert.Equal(latencies.OrderDescending(), latencies);
        Assert.InRange(latencies[0], 60_000_000, 200_000_000);
        Assert.All(spikes, s => Assert.Equal("off_cpu", s.GetProperty("tags").GetProperty("cause").GetString()));
        Assert.All(spikes, s => Assert.Matches(@"main\+0x[0-9a-f]+;run\+0x[0-9a-f]+$", s.GetProperty("fields").GetProperty("stack").GetString()));
        // Printed in words, innermost frame first.
        Assert.Matches(@"alloc_workload \d+ malloc 1M \d+(\.\d+)? ms  blocked \d+(\.\d+)? ms\n\s+at run\+0x[0-9a-f]+ <- main\+0x[0-9a-f]+", result.Stdout);
    }

    [Fact]
    public void ASummaryFileInAMissingDirectoryIsRefusedBeforeTracing()
    {
        var result = Cli.Run(["record", "-q", "-o", Cli.TempOutput(), "--summary", "/nonexistent-dir/s.json", "--", "true"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("[ERROR] cannot write --summary /nonexistent-dir/s.json: directory /nonexistent-dir does not exist", result.Stderr);
    }

    private static bool IsSlowMalloc(Point p) =>
        p.Measurement == "alloc_latency" && p.Tag("allocator") == "slowalloc" && p.Tag("op") == "malloc" && p.Tag("size_class") == "1M";
}
