using System.Diagnostics;
using Tracer.Probes;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>
/// -n/--name, --cgroup, the container tag and --per-thread, on a real multi-threaded workload whose threads name
/// themselves (worker-0, worker-1, ...) and map exactly COUNT 1 MiB regions each.
/// </summary>
public class TargetingTests
{
    private static IEnumerable<Point> Mmaps1M(IReadOnlyList<Point> points) =>
        points.Where(p => p.Measurement == "alloc_latency" && p.Tag("op") == "mmap" && p.Tag("size_class") == "1M");

    /// <summary>Started with "wait": blocked until SIGUSR1, so it is a running process before the tracer starts.</summary>
    private static CapturedProcess StartWaiting(int threads, int count)
    {
        var p = CapturedProcess.Start(Cli.Workload("named_threads"), [$"{threads}", $"{count}", "wait"]);
        var deadline = Stopwatch.StartNew();
        while (!p.StderrSoFar.Contains("named_threads: ready", StringComparison.Ordinal))
        {
            Assert.False(p.HasExited, "named_threads exited before it was ready");
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "named_threads never got ready");
            Thread.Sleep(10);
        }
        return p;
    }

    private static void Release(CapturedProcess p) => Cli.Sh($"kill -USR1 {p.Id}");

    private static void AssertDone(CapturedProcess p, int total)
    {
        var (exit, stdout, _) = p.Wait(TimeSpan.FromMinutes(1));
        Assert.Equal(0, exit);
        Assert.Contains($"named_threads: done {total}", stdout);
    }

    /// <summary>Stops alloclat as a user would (Ctrl-C) once every workload is done, and reads what it wrote.</summary>
    private static IReadOnlyList<Point> Interrupt(CapturedProcess alloclat, string output)
    {
        Cli.Sh($"kill -INT {alloclat.Id}");
        var r = Cli.Wait(alloclat, TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, r.ToString());
        return LineProtocolFile.Read(output);
    }

    [Fact]
    public void CommIsTheProcessNameNotTheThreadsAndThreadsSplitOnlyWhenAsked()
    {
        string plain = Cli.TempOutput(), perThread = Cli.TempOutput();
        var r1 = Cli.Run(["record", "-q", "-o", plain, "--", Cli.Workload("named_threads"), "3", "4"]);
        var r2 = Cli.Run(["record", "-q", "--per-thread", "-o", perThread, "--", Cli.Workload("named_threads"), "3", "4"]);
        Assert.True(r1.ExitCode == 0, r1.ToString());
        Assert.True(r2.ExitCode == 0, r2.ToString());

        var byProcess = LineProtocolFile.Read(plain).Where(p => p.Measurement == "alloc_latency").ToList();
        Assert.NotEmpty(byProcess);
        Assert.All(byProcess, p => Assert.Equal("named_threads", p.Tag("comm")));
        Assert.All(byProcess, p => Assert.False(p.Tags.ContainsKey("thread")));

        var byThread = LineProtocolFile.Read(perThread).Where(p => p.Measurement == "alloc_latency").ToList();
        Assert.All(byThread, p => Assert.Equal("named_threads", p.Tag("comm")));
        var workers = Mmaps1M(byThread).GroupBy(p => p.Tag("thread")).ToDictionary(g => g.Key, g => g.Sum(p => p["count"]));
        Assert.Equal(new Dictionary<string, long> { ["worker-0"] = 4, ["worker-1"] = 4, ["worker-2"] = 4 }, workers);
        // The same calls, whether split or not: the per-process series holds the three threads' 12.
        Assert.Equal(12, Mmaps1M(byProcess).Sum(p => p["count"]));
    }

    [Fact]
    public void NameTracesRunningAndLaterProcessesOfThatNameAndNoOther()
    {
        var early = StartWaiting(2, 5);
        var other = CapturedProcess.Start(Cli.Workload("alloc_workload"), ["25", "0", "0"]);
        string output = Cli.TempOutput();
        var alloclat = Cli.Start(["record", "-q", "--per-thread", "-o", output, "-n", "named_threads"]);
        Cli.WaitUntilTracing(alloclat);
        Release(early);
        var late = CapturedProcess.Start(Cli.Workload("named_threads"), ["1", "7"]);
        AssertDone(early, 10);
        AssertDone(late, 7);
        Assert.Equal(0, other.Wait(TimeSpan.FromMinutes(1)).ExitCode);
        var points = Interrupt(alloclat, output);

        var counts = Mmaps1M(points).GroupBy(p => (Pid: int.Parse(p.Tag("pid")), Thread: p.Tag("thread")))
            .ToDictionary(g => g.Key, g => g.Sum(p => p["count"]));
        Assert.Equal(new Dictionary<(int, string), long>
        {
            [(early.Id, "worker-0")] = 5, [(early.Id, "worker-1")] = 5, [(late.Id, "worker-0")] = 7,
        }, counts);
        Assert.DoesNotContain(points, p => p.Tags.TryGetValue("pid", out var pid) && pid == other.Id.ToString());
        Assert.All(points.Where(p => p.Measurement == "alloc_latency"), p => Assert.Equal("named_threads", p.Tag("comm")));
    }

    /// <summary>The cgroup hierarchies this host mounts: the unified one (v2) and, on hybrid hosts, a v1 one.</summary>
    public static TheoryData<string> Hierarchies()
    {
        var data = new TheoryData<string>();
        string v2 = File.Exists("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
        if (File.Exists($"{v2}/cgroup.procs"))
            data.Add(v2);
        if (File.Exists("/sys/fs/cgroup/pids/cgroup.procs"))
            data.Add("/sys/fs/cgroup/pids");
        Assert.NotEmpty(data);
        return data;
    }

    [Theory]
    [MemberData(nameof(Hierarchies))]
    public void CgroupTracesOnlyItsProcessesAndTagsWhereTheyRun(string hierarchy)
    {
        string name = $"alloclat-test-{Environment.ProcessId}-{Random.Shared.Next(1_000_000)}";
        string containerId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        string root = Path.Combine(hierarchy, name), app = Path.Combine(root, "app"), container = Path.Combine(root, $"docker-{containerId}.scope");
        Directory.CreateDirectory(app);
        Directory.CreateDirectory(container);
        try
        {
            var inApp = StartWaiting(1, 6);
            var inContainer = StartWaiting(2, 3);
            var outside = StartWaiting(1, 9);
            File.WriteAllText(Path.Combine(app, "cgroup.procs"), inApp.Id.ToString());
            File.WriteAllText(Path.Combine(container, "cgroup.procs"), inContainer.Id.ToString());

            string output = Cli.TempOutput();
            var alloclat = Cli.Start(["record", "-q", "-o", output, "--cgroup", root]);
            Cli.WaitUntilTracing(alloclat);
            foreach (var p in new[] { inApp, inContainer, outside })
                Release(p);
            AssertDone(inApp, 6);
            AssertDone(inContainer, 6);
            AssertDone(outside, 9);
            var points = Interrupt(alloclat, output);

            var counts = Mmaps1M(points).GroupBy(p => (Pid: int.Parse(p.Tag("pid")), Container: p.Tags.GetValueOrDefault("container", "(none)")))
                .ToDictionary(g => g.Key, g => g.Sum(p => p["count"]));
            Assert.Equal(new Dictionary<(int, string), long>
            {
                [(inApp.Id, $"/{name}/app")] = 6, [(inContainer.Id, containerId[..12])] = 6,
            }, counts);
        }
        finally
        {
            foreach (var dir in new[] { app, container, root })
                Directory.Delete(dir);
        }
    }

    [Theory]
    [InlineData(new[] { "-n", "a/b" }, "invalid process name 'a/b' for -n: give the name ps shows (comm), not a path; for a path use --binary")]
    [InlineData(new[] { "--name", "a-very-long-process-name" }, "invalid process name 'a-very-long-process-name' for --name: the kernel keeps 15 bytes of a process name; give 'a-very-long-pro'")]
    [InlineData(new[] { "-n", "x", "-p", "1" }, "give only one of -p, --binary, -n, --cgroup, --all and -- COMMAND")]
    public void BadTargetOptionsAreOneLine(string[] args, string message)
    {
        var r = InProcessCli.Run(["record", "-q", "-o", Cli.TempOutput(), .. args]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"[ERROR] {message}", r.Stderr.Trim().Split('\n')[^1]);
    }

    [Theory]
    [InlineData(new[] { "--cgroup", "/nonexistent/cgroup" }, "cgroup /nonexistent/cgroup does not exist")]
    [InlineData(new[] { "--cgroup", "/tmp" }, "/tmp is not a cgroup directory (it has no cgroup.procs)")]
    public void BadTargetsAreOneLine(string[] args, string message)
    {
        var r = Cli.Run(["record", "-q", "-o", Cli.TempOutput(), .. args]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"[ERROR] {message}", r.Stderr.Trim().Split('\n')[^1]);
    }
}
