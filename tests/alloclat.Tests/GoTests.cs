using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Alloclat.Tests;

/// <summary>
/// Go programs built in `make build` with the Debian toolchain, traced in default mode (no flag): the large-object
/// path and stop-the-world pauses are probed, with uprobes on the RET instructions rather than uretprobes.
/// </summary>
public partial class GoTests
{
    private static (IReadOnlyList<Point> Points, CliResult Result) Trace(params string[] args)
    {
        string output = Cli.TempOutput();
        var result = Cli.Run(["record", "-q", "-o", output, .. args]);
        Assert.True(File.Exists(output), result.ToString());
        return (LineProtocolFile.Read(output), result);
    }

    private static string Untraced(string program, string args) =>
        Tracer.TestSupport.ProcessRunner.Run(program, args.Split(' ', StringSplitOptions.RemoveEmptyEntries), timeoutSeconds: 60, check: false).Stdout;

    [Theory]
    [InlineData("goalloc")]
    [InlineData("goalloc_stripped")]
    public void LargeAllocationsAreCountedExactlyAndSmallOnesNotAtAll(string workload)
    {
        string exe = Cli.Workload(workload);
        var (baseline, _) = Trace("--", exe, "0", "0", "0");
        var (run, result) = Trace("--", exe, "40", "30", "2000");
        Assert.Equal(0, result.ExitCode);
        // The program behaves exactly as it does untraced, with 4 goroutines on GOMAXPROCS=4 growing their stacks.
        Assert.Equal(Untraced(exe, "40 30 2000").Trim(), result.Stdout.Trim());

        var counts = LineProtocolFile.Counts(run, "go");
        var before = LineProtocolFile.Counts(baseline, "go");
        Assert.Equal(40, counts.GetValueOrDefault(("large_alloc", "64K")) - before.GetValueOrDefault(("large_alloc", "64K")));
        Assert.Equal(30, counts.GetValueOrDefault(("large_alloc", "1M")) - before.GetValueOrDefault(("large_alloc", "1M")));
        Assert.All(counts.Keys.Except(before.Keys), k => Assert.Contains(k.SizeClass, new[] { "64K", "1M" }));
        Assert.All(run.Where(p => p.Measurement == "alloclat_stats"), s => Assert.Equal(0, s["lost"]));
        Assert.All(run.Where(p => p.Measurement == "alloclat_stats"), s => Assert.Equal(0, s["inflight_dropped"]));
    }

    [Fact]
    public void AProcessInAnotherMountNamespaceIsProbedThroughItsOwnRoot()
    {
        // Like a container: inside its mount namespace the program lives at a path that is empty on the host, so
        // its functions can only be found through /proc/PID/root.
        string hostView = Directory.CreateTempSubdirectory("alloclat-ns-").FullName;
        string script = $"mount --bind {Path.GetDirectoryName(Cli.Workload("goalloc"))} {hostView} && exec {hostView}/goalloc 9 4 50";
        Assert.False(File.Exists(Path.Combine(hostView, "goalloc")));
        var (run, result) = Trace("--", "unshare", "-m", "--propagation", "private", "sh", "-c", script);
        Assert.True(result.ExitCode == 0, result.ToString());
        var counts = LineProtocolFile.Counts(run, "go");
        Assert.Equal(9, counts[("large_alloc", "64K")]);
        Assert.Equal(4, counts[("large_alloc", "1M")]);
    }

    [GeneratedRegex(@"^gc (\d+) @[0-9.]+s \d+%: ([0-9.]+)\+([0-9.]+)\+([0-9.]+) ms clock", RegexOptions.Multiline)]
    private static partial Regex GcTraceLine();

    [Fact]
    public void EveryGcPauseIsSeenAndItsLengthAgreesWithGctrace()
    {
        const int collections = 8;
        var (run, result) = Trace("--interval", "60s", "--", "env", "GODEBUG=gctrace=1", Cli.Workload("gogc"), collections.ToString());
        Assert.Equal(0, result.ExitCode);
        var gcs = GcTraceLine().Matches(result.Stderr);
        Assert.Equal(collections, gcs.Count);

        var pauses = run.Where(p => p.Measurement == "gc_pause").ToList();
        Assert.All(pauses, p => Assert.Equal("go", p.Tag("runtime")));
        long count = pauses.Sum(p => p["count"]);
        // Each collection stops the world twice (sweep termination, mark termination); ReadMemStats once more.
        Assert.InRange(count, 2 * collections, 2 * collections + 2);

        // gctrace's first and third clock figures are the two stop-the-world phases of each collection. The probes
        // see the same pauses from stopTheWorldWithSema's entry to startTheWorldWithSema's return, which adds the
        // time to stop every P, to wake them again, and two traps; on a busy machine preemption adds more to some.
        // The check: the shortest pause agrees in order of magnitude (preemption only ever lengthens a pause), and
        // the probes never see less pause time in all than the runtime reports.
        var phases = gcs.SelectMany(m => new[] { m.Groups[2].Value, m.Groups[4].Value })
            .Select(v => double.Parse(v, CultureInfo.InvariantCulture) * 1e6).Order().ToList();
        var all = pauses.Single();
        Assert.InRange(all["min"] / Math.Max(phases[0], 1000), 0.3, 10);
        double measuredTotalNs = all["mean"] * all["count"];
        Assert.True(measuredTotalNs >= 0.5 * phases.Sum(), $"probes saw {measuredTotalNs} ns of pauses, gctrace {phases.Sum()} ns");
        Assert.All(pauses, p => Assert.True(p["max"] < 100_000_000, $"a 100 ms pause is not a forced GC of an empty heap: {p["max"]}"));
    }

    [Fact]
    public void GoProcessesOfABinaryStartedLaterAreProbedBeforeTheyRun()
    {
        string dir = Directory.CreateTempSubdirectory("alloclat-gobin-").FullName;
        string copy = Path.Combine(dir, "goalloc");
        File.Copy(Cli.Workload("goalloc"), copy);
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        string output = Cli.TempOutput();
        var p = Cli.Start(["record", "-q", "-o", output, "--binary", copy, "--duration", "6s"]);
        Cli.WaitUntilTracing(p);
        var later = Tracer.TestSupport.CapturedProcess.Start(copy, ["12", "7", "100"]);
        later.Wait(TimeSpan.FromSeconds(30));
        var result = Cli.Wait(p, TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.ToString());
        var counts = LineProtocolFile.Counts(LineProtocolFile.Read(output), "go", later.Id);
        Assert.Equal(12, counts[("large_alloc", "64K")]);
        Assert.Equal(7, counts[("large_alloc", "1M")]);
    }
}
