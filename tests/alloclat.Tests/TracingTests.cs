using System.Diagnostics;

namespace Alloclat.Tests;

/// <summary>
/// Real probes in the real kernel on workloads with known allocations. Each count is compared with a run of the
/// same workload making no allocations of its own, so what the process does at start-up (the loader mapping
/// libc's .bss, libstdc++'s emergency pool) is measured, not assumed.
/// </summary>
public class TracingTests
{
    private const int Large = 25, Heap = 4, Small = 50;
    private static readonly string[] s_functions = ["malloc", "calloc", "realloc", "aligned_alloc", "posix_memalign"];

    private static (IReadOnlyList<Point> Points, CliResult Result) Trace(string[] options, string[] command, IDictionary<string, string>? env = null)
    {
        string output = Cli.TempOutput();
        var result = Cli.Run([.. "record -q -o".Split(' '), output, .. options, "--", .. command], env);
        Assert.True(File.Exists(output), result.ToString());
        return (LineProtocolFile.Read(output), result);
    }

    private static void AssertHealthy(IReadOnlyList<Point> points)
    {
        var stats = points.Where(p => p.Measurement == "alloclat_stats").ToList();
        Assert.NotEmpty(stats);
        Assert.All(stats, s => Assert.Equal(0, s["lost"]));
        Assert.All(stats, s => Assert.Equal(0, s["inflight_dropped"]));
        Assert.Equal(stats.Sum(s => s["events"]), points.Where(p => p.Measurement == "alloc_latency").Sum(p => p["count"]));
    }

    private static Dictionary<(string, string), long> Difference(Dictionary<(string, string), long> run, Dictionary<(string, string), long> baseline)
    {
        var diff = new Dictionary<(string, string), long>();
        foreach (var key in run.Keys.Union(baseline.Keys))
        {
            long d = run.GetValueOrDefault(key) - baseline.GetValueOrDefault(key);
            if (d != 0)
                diff[key] = d;
        }
        return diff;
    }

    private static void AssertNoSmallClasses(IEnumerable<Point> points) =>
        Assert.All(points.Where(p => p.Measurement == "alloc_latency"), p =>
            Assert.DoesNotMatch("^([0-9]+B|1K|2K|4K|8K|16K)$", p.Tag("size_class")));

    [Fact]
    public void DefaultModeCountsEveryLargeMmapAndMunmapExactly()
    {
        var (baseline, r0) = Trace([], [Cli.Workload("alloc_workload"), "0", "0", "0"]);
        var (run, r1) = Trace([], [Cli.Workload("alloc_workload"), $"{Large}", $"{Heap}", $"{Small}"]);
        Assert.Equal(0, r0.ExitCode);
        Assert.Equal(0, r1.ExitCode);
        Assert.Contains($"alloc_workload: done {5 * (Large + Heap + Small)}", r1.Stdout);
        AssertHealthy(baseline);
        AssertHealthy(run);
        AssertNoSmallClasses(run);

        var diff = Difference(LineProtocolFile.Counts(run, "kernel"), LineProtocolFile.Counts(baseline, "kernel"));
        // glibc serves 1 MiB through mmap (threshold pinned at 128 KiB) and returns it with munmap; 40 KiB blocks
        // come from the heap the process already has, and 64-byte ones never reach the kernel.
        Assert.Equal(new Dictionary<(string, string), long> { [("mmap", "1M")] = 5 * Large, [("munmap", "1M")] = 5 * Large }, diff);
        Assert.All(run.Where(p => p.Measurement == "alloc_latency"), p => Assert.Equal("alloc_workload", p.Tag("comm")));
    }

    [Fact]
    public void DefaultModeCountsEveryLargeBrkExactly()
    {
        var (baseline, r0) = Trace([], [Cli.Workload("brk_workload"), "0", "1048576"]);
        var (run, r1) = Trace([], [Cli.Workload("brk_workload"), "30", "1048576"]);
        Assert.Equal(0, r0.ExitCode);
        Assert.Equal(0, r1.ExitCode);
        Assert.Contains("brk_workload: done 60", r1.Stdout);
        AssertHealthy(baseline);
        AssertHealthy(run);

        // Each sbrk moves the break by 1 MiB: one brk call measured by the size it moves the break.
        var diff = Difference(LineProtocolFile.Counts(run, "kernel"), LineProtocolFile.Counts(baseline, "kernel"));
        Assert.Equal(new Dictionary<(string, string), long> { [("brk", "1M")] = 60 }, diff);
    }

    [Theory]
    [InlineData("alloc_workload", "glibc")]
    [InlineData("alloc_workload_jemalloc", "jemalloc")]
    [InlineData("alloc_workload_tcmalloc", "tcmalloc")]
    [InlineData("alloc_workload_mimalloc", "mimalloc")]
    public void PreciseModeCountsEveryLargeCallPerFunctionExactly(string workload, string allocator)
    {
        var (baseline, _) = Trace(["--precise"], [Cli.Workload(workload), "0", "0", "0"]);
        var (run, result) = Trace(["--precise"], [Cli.Workload(workload), $"{Large}", $"{Heap}", $"{Small}"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"alloc_workload: done {5 * (Large + Heap + Small)}", result.Stdout);
        AssertHealthy(run);
        AssertNoSmallClasses(run);
        Assert.Single(result.Stderr.Split('\n'), l => l.StartsWith("[WARN] --precise", StringComparison.Ordinal));

        var expected = new Dictionary<(string, string), long>();
        foreach (var f in s_functions)
        {
            expected[(f, "1M")] = Large;
            expected[(f, "32K")] = Heap;
        }
        expected[("free", "1M")] = 5 * Large;
        expected[("free", "32K")] = 5 * Heap;
        Assert.Equal(expected, Difference(LineProtocolFile.Counts(run, allocator), LineProtocolFile.Counts(baseline, allocator)));
    }

    [Fact]
    public void AnAllocatorTakingAKnownTimeShowsThatTimeAtTheMedian()
    {
        const long delayNs = 2_000_000;
        var (run, result) = Trace(["--precise"],
            ["env", $"LD_PRELOAD={Cli.Workload("libslowalloc.so")}", $"SLOWALLOC_NS={delayNs}", Cli.Workload("alloc_workload"), "20", "0", "0"]);
        Assert.Equal(0, result.ExitCode);
        var slow = run.Where(p => p.Measurement == "alloc_latency" && p.Tag("allocator") == "slowalloc").ToList();
        // The LD_PRELOAD library is found in the environment the command actually ran with (behind `env`), and
        // only its malloc is replaced: glibc still serves the other functions.
        Assert.Equal(20, slow.Where(p => p.Tag("op") == "malloc" && p.Tag("size_class") == "1M").Sum(p => p["count"]));
        // The spin ends at its deadline; a thread preempted near the end (a loaded 2-core machine) runs late by a
        // scheduler slice, so the ceiling holds the median of the calls, not of each interval.
        Assert.All(slow, p => Assert.True(p["p50"] >= delayNs * 0.9, $"p50 {p["p50"]} ns below the {delayNs} ns spin"));
        var medians = slow.Where(p => p.Tag("op") == "malloc").Select(p => p["p50"]).Order().ToList();
        Assert.InRange(medians[medians.Count / 2], delayNs * 0.9, delayNs * 1.1);
        Assert.Equal(20, LineProtocolFile.Counts(run, "glibc")[("calloc", "1M")]);
    }

    [Fact]
    public void TheCommandsOwnExitCodeIsReturned()
    {
        var (_, result) = Trace([], ["sh", "-c", "exit 7"]);
        Assert.Equal(7, result.ExitCode);
    }

    [Fact]
    public void ARunningProcessIsTracedByPid()
    {
        // The demo runs for as long as a collector may take to start on a busy machine, and is killed after.
        var demo = Tracer.TestSupport.CapturedProcess.Start(Cli.Demo, ["120"]);
        try
        {
            WaitForImage(demo, "alloc_demo");
            string output = Cli.TempOutput();
            var result = Cli.Run(["record", "-q", "-o", output, "-p", demo.Id.ToString(), "--duration", "1500ms"]);
            Assert.True(result.ExitCode == 0, result.ToString());
            var points = LineProtocolFile.Read(output);
            var mine = points.Where(p => p.Measurement == "alloc_latency").ToList();
            Assert.NotEmpty(mine);
            Assert.All(mine, p => Assert.Equal(demo.Id.ToString(), p.Tag("pid")));
            Assert.Contains(mine, p => p.Tag("op") == "mmap" && p.Tag("comm") == "alloc_demo");
            AssertHealthy(points);
        }
        finally
        {
            demo.Kill();
        }
    }

    [Fact]
    public void WhenTheTracedPidExitsEveryPointIsWrittenAndTheExitCodeSaysSo()
    {
        // Long enough to outlast alloclat's start on a busy machine, so the process is still there to be attached to.
        var demo = Tracer.TestSupport.CapturedProcess.Start(Cli.Demo, ["4"]);
        try
        {
            string output = Cli.TempOutput();
            var result = Cli.Run(["record", "-q", "-o", output, "-p", demo.Id.ToString()], timeout: TimeSpan.FromSeconds(30));
            Assert.True(result.ExitCode == 7, result.ToString());
            Assert.Contains($"process {demo.Id} exited", result.Stderr);
            Assert.Contains(LineProtocolFile.Read(output), p => p.Measurement == "alloc_latency" && p.Tag("op") == "munmap");
        }
        finally
        {
            demo.Kill();
        }
    }

    /// <summary>A target whose parent never reaps it stays a zombie: it has exited all the same.</summary>
    [Fact]
    public void ATargetLeftAZombieByItsParentCountsAsExited()
    {
        // sh starts the demo, then becomes a sleep that never waits for it.
        var parent = Tracer.TestSupport.CapturedProcess.Start("/bin/sh", ["-c", $"{Cli.Demo} 3 >/dev/null & echo $!; exec sleep 60"]);
        try
        {
            var deadline = Stopwatch.StartNew();
            string? line;
            while (!int.TryParse((line = parent.StdoutSoFar.Split('\n')[0].Trim()), out _))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "the shell did not say the demo's pid");
                Thread.Sleep(20);
            }
            string output = Cli.TempOutput();
            var result = Cli.Run(["record", "-q", "-o", output, "-p", line], timeout: TimeSpan.FromSeconds(30));
            Assert.True(result.ExitCode == 7, result.ToString());
            Assert.Contains($"process {line} exited", result.Stderr);
            Assert.Equal('Z', File.ReadAllText($"/proc/{line}/stat").Split(") ")[1][0]);
        }
        finally
        {
            parent.Kill();
        }
    }

    [Fact]
    public void InterruptFlushesTheLastIntervalAndDetaches()
    {
        var demo = Tracer.TestSupport.CapturedProcess.Start(Cli.Demo, ["120"]);
        try
        {
            WaitForImage(demo, "alloc_demo");
            string output = Cli.TempOutput();
            var p = Cli.Start(["record", "-q", "-o", output, "-p", demo.Id.ToString(), "--interval", "60s"]);
            Cli.WaitUntilTracing(p);
            Thread.Sleep(1000);
            var held = ProgramsHeldBy(p.Id);
            Assert.True(held.Count >= 10, $"the collector holds {held.Count} BPF programs");
            Assert.Subset(LoadedPrograms(), held);
            Cli.Sh($"kill -INT {p.Id}");
            var result = Cli.Wait(p, TimeSpan.FromSeconds(20));
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.DoesNotContain("SIGINT is ignored", result.Stderr);
            // With a 60 s interval, everything seen came out in the one interval the interrupt ended.
            var points = LineProtocolFile.Read(output);
            Assert.Single(points, q => q.Measurement == "alloclat_stats");
            Assert.True(points.Where(q => q.Measurement == "alloc_latency").Sum(q => q["count"]) > 0);
            // Nothing the collector loaded outlives it (no pin, no descriptor left in another process).
            Assert.Empty(held.Intersect(LoadedPrograms()));
        }
        finally
        {
            demo.Kill();
        }
    }

    /// <summary>
    /// Started with SIGINT ignored (as a shell without job control starts a command given with &amp;, which the .NET
    /// runtime then leaves ignored), alloclat says so at once and how to stop it; SIGTERM still ends the run cleanly.
    /// </summary>
    [Fact]
    public void AnIgnoredSigintIsSaidAtStart_AndSigtermStillEndsTheRun()
    {
        string output = Cli.TempOutput();
        var p = Cli.Start(["record", "-q", "-o", output, "--", "sleep", "60"], wrapper: ["sh", "-c", "trap '' INT; exec \"$0\" \"$@\""]);
        Cli.WaitUntilTracing(p);
        Assert.Contains("[WARN] SIGINT is ignored by this process, as its parent left it (a shell does so for a command started with & without job " +
            "control): Ctrl-C and kill -INT will not stop alloclat; stop it with SIGTERM (kill PID)", p.StderrSoFar);
        p.Signal(15);
        var result = Cli.Wait(p, TimeSpan.FromSeconds(30));
        // As timeout(1) does, the command is stopped too and its status returned: killed by SIGTERM.
        Assert.True(result.ExitCode == 128 + 15, result.ToString());
        Assert.Single(LineProtocolFile.Read(output), q => q.Measurement == "alloclat_stats");
    }

    /// <summary>Waits until a started process runs its own image (its exec is done and its map holds the file).</summary>
    private static void WaitForImage(Tracer.TestSupport.CapturedProcess p, string file) =>
        Tracer.TestSupport.Wait.UntilAsync(() => File.ReadAllText($"/proc/{p.Id}/maps").Contains(file, StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), $"process {p.Id} to map {file}").GetAwaiter().GetResult();

    /// <summary>BPF program ids a process holds open, from the kernel's fdinfo of each of its descriptors.</summary>
    internal static HashSet<long> ProgramsHeldBy(int pid)
    {
        var ids = new HashSet<long>();
        foreach (var info in Directory.EnumerateFiles($"/proc/{pid}/fdinfo"))
        {
            try
            {
                foreach (var line in File.ReadLines(info))
                    if (line.StartsWith("prog_id:", StringComparison.Ordinal))
                        ids.Add(long.Parse(line[8..].Trim()));
            }
            catch (IOException)
            {
            }
        }
        return ids;
    }

    internal static HashSet<long> LoadedPrograms() =>
        System.Text.Json.JsonDocument.Parse(Cli.Sh("bpftool -j prog list")).RootElement.EnumerateArray()
            .Select(p => p.GetProperty("id").GetInt64()).ToHashSet();

    [Fact]
    public void TerminateStopsTheCommandAndReturnsItsStatus()
    {
        string output = Cli.TempOutput();
        var p = Cli.Start(["record", "-q", "-o", output, "--", Cli.Demo, "30"]);
        Cli.WaitUntilTracing(p);
        Thread.Sleep(1000);
        Cli.Sh($"kill -TERM {p.Id}");
        var result = Cli.Wait(p, TimeSpan.FromSeconds(20));
        Assert.Equal(128 + 15, result.ExitCode);
        Assert.Contains(LineProtocolFile.Read(output), q => q.Measurement == "alloc_latency");
    }

    [Fact]
    public void ADurationEndsACommandThatOutlivesItLikeTimeout()
    {
        string output = Cli.TempOutput();
        var sw = Stopwatch.StartNew();
        var result = Cli.Run(["record", "-q", "-o", output, "--duration", "2s", "--", Cli.Demo, "60"], timeout: TimeSpan.FromSeconds(40));
        Assert.Equal(128 + 15, result.ExitCode);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"took {sw.Elapsed}");
        Assert.Contains(LineProtocolFile.Read(output), q => q.Measurement == "alloc_latency" && q.Tag("comm") == "alloc_demo");
    }

    [Fact]
    public void EveryProcessOfABinaryIsTracedIncludingOnesStartedLater()
    {
        string dir = Directory.CreateTempSubdirectory("alloclat-bin-").FullName;
        string copy = Path.Combine(dir, "alloc_demo");
        File.Copy(Cli.Demo, copy);
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        // Both outlive a collector's start on a busy machine, and are killed after.
        var before = Tracer.TestSupport.CapturedProcess.Start(copy, ["120"]);
        var other = Tracer.TestSupport.CapturedProcess.Start(Cli.Demo, ["120"]);
        Tracer.TestSupport.CapturedProcess? later = null;
        try
        {
            WaitForImage(before, copy);
            WaitForImage(other, Cli.Demo);
            string output = Cli.TempOutput();
            var p = Cli.Start(["record", "-q", "-o", output, "--binary", copy, "--duration", "6s"]);
            Cli.WaitUntilTracing(p);
            later = Tracer.TestSupport.CapturedProcess.Start(copy, ["1.5"]);
            var result = Cli.Wait(p, TimeSpan.FromSeconds(30));
            Assert.True(result.ExitCode == 0, result.ToString());
            var pids = LineProtocolFile.Read(output).Where(q => q.Measurement == "alloc_latency").Select(q => q.Tag("pid")).ToHashSet();
            Assert.Contains(before.Id.ToString(), pids);
            Assert.Contains(later.Id.ToString(), pids);
            Assert.DoesNotContain(other.Id.ToString(), pids);
        }
        finally
        {
            before.Kill();
            other.Kill();
            later?.Kill();
        }
    }
}
