using System.Text.Json;

namespace Alloclat.Tests;

/// <summary>
/// The kernel's histograms end to end: a workload with known calls traced with the histograms (the default) and
/// with one event per call (<c>--no-kernel-histograms</c>) gives the same exact counts and bytes in every series, for
/// the malloc family and the syscalls alike, in the interval points and in the run summary.
/// </summary>
public class KernelHistogramTests
{
    private const int Large = 20, Heap = 4, Small = 40;
    private static readonly string[] s_functions = ["malloc", "calloc", "realloc", "aligned_alloc", "posix_memalign"];

    private static (IReadOnlyList<Point> Points, JsonElement Totals) Trace(string[] options, int large, int heap, int small)
    {
        string output = Cli.TempOutput(), summary = Cli.TempOutput("summary.json");
        var result = Cli.Run([.. "record -q -o".Split(' '), output, "--summary", summary, .. options, "--",
            Cli.Workload("alloc_workload"), $"{large}", $"{heap}", $"{small}"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"alloc_workload: done {5 * (large + heap + small)}", result.Stdout);
        using var json = JsonDocument.Parse(File.ReadAllText(summary));
        return (LineProtocolFile.Read(output), json.RootElement.GetProperty("totals").Clone());
    }

    private static Dictionary<(string, string, string), (long Count, long Bytes)> Series(IEnumerable<Point> points) =>
        points.Where(p => p.Measurement == "alloc_latency")
            .GroupBy(p => (p.Tag("allocator")!, p.Tag("op")!, p.Tag("size_class")!))
            .ToDictionary(g => g.Key, g => (g.Sum(p => p["count"]), g.Sum(p => p["bytes"])));

    [Theory]
    [InlineData("--precise")]
    [InlineData("--precise", "--per-thread")]
    public void CountsAndBytesAreExactAndTheSameWithAndWithoutTheKernelsHistograms(params string[] options)
    {
        var (baseline, _) = Trace(options, 0, 0, 0);
        var (kernel, totals) = Trace(options, Large, Heap, Small);
        var (events, _) = Trace([.. options, "--no-kernel-histograms"], Large, Heap, Small);
        var counted = Series(kernel);
        Assert.Equal(Series(events).OrderBy(kv => kv.Key), counted.OrderBy(kv => kv.Key));

        // The workload's own calls, exactly, over what its start makes.
        var before = Series(baseline);
        var expected = new Dictionary<(string, string, string), long>();
        foreach (var f in s_functions)
        {
            expected[("glibc", f, "1M")] = Large;
            expected[("glibc", f, "32K")] = Heap;
        }
        expected[("glibc", "free", "1M")] = 5 * Large;
        expected[("glibc", "free", "32K")] = 5 * Heap;
        // glibc serves 1 MiB through mmap (threshold pinned at 128 KiB) and returns it with munmap.
        expected[("kernel", "mmap", "1M")] = 5 * Large;
        expected[("kernel", "munmap", "1M")] = 5 * Large;
        var diff = counted.Keys.Union(before.Keys)
            .Select(k => (k, n: counted.GetValueOrDefault(k).Count - before.GetValueOrDefault(k).Count))
            .Where(x => x.n != 0).ToDictionary(x => x.k, x => x.n);
        Assert.Equal(expected.OrderBy(kv => kv.Key), diff.OrderBy(kv => kv.Key));

        // Every interval says what it received, and the run summary holds the same totals.
        var stats = kernel.Where(p => p.Measurement == "alloclat_stats").ToList();
        Assert.All(stats, s => Assert.Equal(0, s["lost"]));
        long calls = kernel.Where(p => p.Measurement == "alloc_latency").Sum(p => p["count"]);
        Assert.Equal(calls, stats.Sum(s => s["events"]));
        Assert.Equal(calls, totals.GetProperty("events").GetInt64());
    }
}
