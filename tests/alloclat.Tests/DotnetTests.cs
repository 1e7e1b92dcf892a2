using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>
/// A .NET program built by `make build` with the SDK on the machine (tests/workloads/dotnet/gcwork), traced as
/// users start it: through the shared `dotnet` host, by pid, and through its apphost with --binary. Its GC pauses
/// and large-object ticks come from the runtime itself over EventPipe. The program waits on a FIFO until alloclat
/// says its session is open, so no collection happens before anyone listens.
/// </summary>
public partial class DotnetTests
{
    private const string SessionOpen = "GC events through EventPipe";
    private const string SessionEnded = "ended the EventPipe session";
    private const int LargeSize = 200_000;

    private static string Dll => Cli.Workload("dotnet/gcwork.dll");

    private static string AppHost => Cli.Workload("dotnet/gcwork");

    /// <summary>A FIFO the workload opens for reading at start; opening it for writing lets it go.</summary>
    private sealed class Gate
    {
        public string Path { get; } = System.IO.Path.Combine(Directory.CreateTempSubdirectory("alloclat-gate-").FullName, "gate");

        public Gate() => Cli.Sh($"mkfifo {Path}");

        public void Open()
        {
            var open = Task.Run(() => new FileStream(Path, FileMode.Open, FileAccess.Write).Dispose());
            Assert.True(open.Wait(TimeSpan.FromSeconds(60)), "the workload never opened its gate");
        }
    }

    private static void WaitFor(CapturedProcess p, string text, int occurrences = 1)
    {
        var clock = Stopwatch.StartNew();
        while (Regex.Matches(p.StderrSoFar, Regex.Escape(text)).Count < occurrences)
        {
            if (p.HasExited)
                throw new InvalidOperationException($"alloclat exited before '{text}':\n{Cli.Wait(p, TimeSpan.FromSeconds(5))}");
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
                throw new TimeoutException($"no '{text}' from alloclat:\n{p.StderrSoFar}");
            Thread.Sleep(20);
        }
    }

    [GeneratedRegex(@"induced gen0 (\d+) gen1 (\d+) gen2 (\d+)")]
    private static partial Regex InducedLine();

    /// <summary>Collections the workload made, by generation, as the runtime counted them in-process.</summary>
    private static int[] Induced(string stdout)
    {
        var m = InducedLine().Match(stdout);
        Assert.True(m.Success, stdout);
        return [int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value), int.Parse(m.Groups[3].Value)];
    }

    private static void AssertInducedPauses(IReadOnlyList<Point> points, int pid, int[] byGeneration)
    {
        var pauses = points.Where(p => p.Measurement == "gc_pause" && p.Tag("pid") == pid.ToString(CultureInfo.InvariantCulture)).ToList();
        Assert.All(pauses, p => Assert.Equal("dotnet", p.Tag("runtime")));
        var induced = pauses.Where(p => p.Tag("reason") == "Induced").ToList();
        // Blocking induced collections: one pause each, non-concurrent, of the generation the runtime counted.
        Assert.All(induced, p => Assert.Equal("NonConcurrent", p.Tag("type")));
        for (int gen = 0; gen <= 2; gen++)
            Assert.Equal(byGeneration[gen], induced.Where(p => p.Tag("generation") == gen.ToString(CultureInfo.InvariantCulture)).Sum(p => p["count"]));
        Assert.All(induced, p => Assert.True(p["min"] > 0 && p["max"] < 5_000_000_000, $"pause {p["min"]}..{p["max"]} ns"));
    }

    private static void AssertSamples(IReadOnlyList<Point> points, int pid, string kind, int count, int arraySize)
    {
        var samples = points.Where(p => p.Measurement == "dotnet_alloc_sample" && p.Tag("kind") == kind && p.Tag("pid") == pid.ToString(CultureInfo.InvariantCulture)).ToList();
        // Every array is over the ~100 KB tick mark on its own, so each one is sampled, and only they are.
        Assert.Equal(count, samples.Sum(p => p["samples"]));
        if (count == 0)
            return;
        Assert.All(samples, p => Assert.Equal("dotnet", p.Tag("allocator")));
        // One size for every sample: the array's, as the runtime sizes the object (the length plus its header).
        long size = samples[0]["size_min"];
        Assert.All(samples, p => Assert.Equal(size, p["size_min"]));
        Assert.All(samples, p => Assert.Equal(size, p["size_max"]));
        Assert.InRange(size, arraySize, arraySize + 64);
        // Each tick's amount is what the heap gave out since the previous one: here one array each, and for the
        // first also what the runtime put there before (below the tick mark, about 100 KB).
        Assert.InRange(samples.Sum(p => p["bytes"]), count * (long)arraySize, count * (long)(arraySize + 64) + 100 * 1024);
        Assert.All(samples, p => Assert.StartsWith("System.Byte[]:", p.Texts["top_types"]));
    }

    [Fact]
    public void InducedCollectionsAndLargeArraysThroughTheDotnetHost()
    {
        var gate = new Gate();
        string output = Cli.TempOutput();
        var p = Cli.Start(["record", "-q", "-o", output, "--", "dotnet", Dll, "induced", gate.Path, "2", "3", "20", LargeSize.ToString(), "4"]);
        WaitFor(p, SessionOpen);
        gate.Open();
        var result = Cli.Wait(p, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("[WARN]", result.Stderr);
        int pid = int.Parse(Regex.Match(result.Stderr, @"process (\d+): \.NET runtime GC events").Groups[1].Value);

        var points = LineProtocolFile.Read(output);
        int[] induced = Induced(result.Stdout);
        Assert.Equal(5, induced.Sum());
        Assert.Equal(3, induced[2]);
        AssertInducedPauses(points, pid, induced);
        AssertSamples(points, pid, "large", 20, LargeSize);
        AssertSamples(points, pid, "pinned", 4, LargeSize);
        Assert.All(points.Where(x => x.Measurement == "gc_pause"), x => Assert.Equal("dotnet", x.Tag("comm")));
    }

    [Fact]
    public void ARunningProcessByPidIsFollowedUntilItExits()
    {
        var gate = new Gate();
        var workload = CapturedProcess.Start("dotnet", [Dll, "induced", gate.Path, "0", "2", "6", "300000", "0"]);
        string output = Cli.TempOutput();
        var p = Cli.Start(["record", "-q", "-o", output, "-p", workload.Id.ToString()]);
        WaitFor(p, SessionOpen);
        gate.Open();
        var (exit, stdout, _) = workload.Wait(TimeSpan.FromMinutes(1));
        Assert.Equal(0, exit);
        var result = Cli.Wait(p, TimeSpan.FromMinutes(1));
        // The target exited: its session ended with it, everything was written, and the exit code says why.
        Assert.True(result.ExitCode == 7, result.ToString());
        Assert.Contains(SessionEnded, result.Stderr);
        var points = LineProtocolFile.Read(output);
        AssertInducedPauses(points, workload.Id, Induced(stdout));
        AssertSamples(points, workload.Id, "large", 6, 300000);
    }

    [Fact]
    public void AnAppHostStartedLaterIsFoundThroughBinary()
    {
        string output = Cli.TempOutput();
        var p = Cli.Start(["record", "-q", "-o", output, "--binary", AppHost]);
        Cli.WaitUntilTracing(p);
        var gate = new Gate();
        var workload = CapturedProcess.Start(AppHost, ["induced", gate.Path, "0", "2", "3", LargeSize.ToString(), "0"]);
        WaitFor(p, SessionOpen);
        gate.Open();
        var (exit, stdout, _) = workload.Wait(TimeSpan.FromMinutes(1));
        Assert.Equal(0, exit);
        WaitFor(p, SessionEnded);
        Cli.Sh($"kill -INT {p.Id}");
        var result = Cli.Wait(p, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.ToString());
        var points = LineProtocolFile.Read(output);
        AssertInducedPauses(points, workload.Id, Induced(stdout));
        AssertSamples(points, workload.Id, "large", 3, LargeSize);
        Assert.All(points.Where(x => x.Measurement == "gc_pause"), x => Assert.Equal("gcwork", x.Tag("comm")));
    }

    [Fact]
    public void LargeAllocationsThatCostACollectionAreTaggedAllocLarge()
    {
        var gate = new Gate();
        string output = Cli.TempOutput();
        var p = Cli.Start(["record", "-o", output, "--", "dotnet", Dll, "alloclarge", gate.Path, "3000", "1000000"]);
        WaitFor(p, SessionOpen);
        gate.Open();
        var result = Cli.Wait(p, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.ToString());
        int gen2 = int.Parse(Regex.Match(result.Stdout, @"collections gen2 (\d+)").Groups[1].Value);
        Assert.True(gen2 > 0, result.Stdout);
        var large = LineProtocolFile.Read(output).Where(x => x.Measurement == "gc_pause" && x.Tag("reason") == "AllocLarge").ToList();
        Assert.NotEmpty(large);
        Assert.All(large, x => Assert.Equal("2", x.Tag("generation")));
        // The live table names them too.
        Assert.Contains("gc2 AllocLarge", result.Stdout);
    }

    [Fact]
    public void AProcessExitingMidSessionEndsItsSessionAndTracingGoesOn()
    {
        var gate = new Gate();
        var after = new Gate();
        string output = Cli.TempOutput();
        var p = Cli.Start(["record", "-q", "-o", output, "--", "sh", "-c", $"dotnet {Dll} induced {gate.Path} 0 2 0 0 0; exec cat {after.Path}"]);
        WaitFor(p, SessionOpen);
        gate.Open();
        // The .NET process has exited; alloclat still traces the shell, which now waits on the second gate.
        WaitFor(p, SessionEnded);
        Assert.False(p.HasExited);
        after.Open();
        var result = Cli.Wait(p, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("[WARN]", result.Stderr);
        Assert.Single(Regex.Matches(result.Stderr, SessionEnded));
        var pauses = LineProtocolFile.Read(output).Where(x => x.Measurement == "gc_pause" && x.Tag("reason") == "Induced").ToList();
        Assert.Equal(2, pauses.Where(x => x.Tag("generation") == "2").Sum(x => x["count"]));
    }

    [Fact]
    public void ATargetLeftRunningWhenTracingStopsIsUnharmed()
    {
        var gate = new Gate();
        var workload = CapturedProcess.Start("dotnet", [Dll, "induced", gate.Path, "0", "2", "2", LargeSize.ToString(), "0"]);
        var p = Cli.Start(["record", "-q", "-o", Cli.TempOutput(), "-p", workload.Id.ToString()]);
        WaitFor(p, SessionOpen);
        Cli.Sh($"kill -INT {p.Id}");
        var result = Cli.Wait(p, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("[WARN]", result.Stderr);
        // The session was stopped, not abandoned: the program goes on and a new session can be opened on it.
        var again = Cli.Start(["record", "-q", "-o", Cli.TempOutput(), "-p", workload.Id.ToString()]);
        WaitFor(again, SessionOpen);
        gate.Open();
        var (exit, stdout, _) = workload.Wait(TimeSpan.FromMinutes(1));
        Assert.Equal(0, exit);
        Assert.Contains("induced gen0 0 gen1 0 gen2 2", stdout);
        Assert.Equal(7, Cli.Wait(again, TimeSpan.FromMinutes(1)).ExitCode);
    }

    [Fact]
    public async Task ASocketInAPrivateTmpIsReachedThroughTheTargetsRoot()
    {
        // Like a container: the runtime's /tmp is a tmpfs of its own mount namespace, empty on the host.
        string gates = Directory.CreateDirectory(Path.Combine(Cli.Root, "build", "gates", Guid.NewGuid().ToString("N"))).FullName;
        string gate = Path.Combine(gates, "gate");
        Cli.Sh($"mkfifo {gate}");
        string output = Cli.TempOutput();
        // The checkout itself may lie under /tmp: the host's /tmp stays reachable inside the namespace at /mnt.
        static string Seen(string path) => path.StartsWith("/tmp/", StringComparison.Ordinal) ? "/mnt/" + path["/tmp/".Length..] : path;
        string script = $"mount --bind /tmp /mnt && mount -t tmpfs tmpfs /tmp && exec dotnet {Seen(Dll)} induced {Seen(gate)} 0 2 0 0 0";
        var p = Cli.Start(["record", "-q", "-o", output, "--", "unshare", "-m", "--propagation", "private", "sh", "-c", script]);
        WaitFor(p, SessionOpen);
        Assert.Matches(@"\(/proc/\d+/root/tmp/dotnet-diagnostic-\d+-\d+-socket\)", p.StderrSoFar);
        var open = Task.Run(() => new FileStream(gate, FileMode.Open, FileAccess.Write).Dispose());
        await open.WaitAsync(TimeSpan.FromSeconds(60));
        var result = Cli.Wait(p, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.ToString());
        var pauses = LineProtocolFile.Read(output).Where(x => x.Measurement == "gc_pause" && x.Tag("reason") == "Induced").ToList();
        Assert.Equal(2, pauses.Where(x => x.Tag("generation") == "2").Sum(x => x["count"]));
        Directory.Delete(gates, true);
    }

    [Fact]
    public void DiagnosticsDisabledGivesOneWarningAndTheKernelSideStaysTraced()
    {
        string output = Cli.TempOutput();
        var result = Cli.Run(["record", "-q", "-o", output, "--", "env", "DOTNET_EnableDiagnostics=0", "dotnet", Dll, "induced", "-", "0", "2", "4", LargeSize.ToString(), "0"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var warnings = Regex.Matches(result.Stderr, @"\[WARN\] process (\d+) runs \.NET .*DOTNET_EnableDiagnostics=0.*");
        Assert.True(warnings.Count == 1, result.Stderr);
        Assert.Contains("its syscalls are", warnings[0].Value);
        string pid = warnings[0].Groups[1].Value;
        var points = LineProtocolFile.Read(output);
        Assert.DoesNotContain(points, x => x.Measurement is "gc_pause" or "dotnet_alloc_sample");
        Assert.Contains(points, x => x.Measurement == "alloc_latency" && x.Tag("allocator") == "kernel" && x.Tag("op") == "mmap" && x.Tag("pid") == pid);
        // The GC reserves its heap and commits it with mprotect as it grows.
        Assert.Contains(points, x => x.Measurement == "alloc_latency" && x.Tag("op") == "mprotect" && x.Tag("pid") == pid);
    }
}
