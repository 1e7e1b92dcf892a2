using System.Diagnostics;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>
/// <c>alloclat ps</c> on running processes: a C program on glibc (its threads waiting), Debian's sleep with
/// jemalloc preloaded, a Go program held stopped, a .NET program waiting at its gate (gcwork), and this test host.
/// </summary>
public class PsTests
{
    private static Dictionary<int, string> Ps()
    {
        var r = Cli.Run(["ps"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("PID ", lines[0]);
        return lines.Skip(1).ToDictionary(l => int.Parse(l.Split(' ', 2)[0]), l => l);
    }

    private static string[] Columns(string line) => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries) is var c && c.Length >= 6
        ? [c[0], c[1], c[2], c[3], c[4], string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(5))]
        : c;

    /// <summary>Waits until the process runs its own image (exec done and its maps hold the file).</summary>
    private static void WaitForImage(int pid, string file)
    {
        var deadline = Stopwatch.StartNew();
        while (!File.ReadAllText($"/proc/{pid}/maps").Contains(file, StringComparison.Ordinal))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"process {pid} never mapped {file}");
            Thread.Sleep(10);
        }
    }

    [Fact]
    public void ListsAllocatorsRuntimesAndWhatCanBeProbed()
    {
        string jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
        var c = CapturedProcess.Start(Cli.Workload("named_threads"), ["1", "1", "wait"]);
        var preloaded = CapturedProcess.Start("sleep", ["120"], new Dictionary<string, string> { ["LD_PRELOAD"] = jemalloc });
        string goDemo = Path.Combine(Cli.Root, "build/demo/go_demo");
        var go = CapturedProcess.Start(goDemo, ["60"]);
        string gate = Path.Combine(Directory.CreateTempSubdirectory("alloclat-ps-").FullName, "gate");
        Cli.Sh($"mkfifo {gate}");
        var dotnet = CapturedProcess.Start(Cli.Workload("dotnet/gcwork"), ["small", gate, "10"]);
        try
        {
            WaitForImage(dotnet.Id, "libcoreclr.so");
            WaitForImage(c.Id, "named_threads");
            WaitForImage(preloaded.Id, "libjemalloc");
            WaitForImage(go.Id, "go_demo");
            Cli.Sh($"kill -STOP {go.Id}");
            string goVersion = Cli.Sh($"go version {goDemo}").Trim().Split(' ')[^1];

            var ps = Ps();
            var cRow = Columns(ps[c.Id]);
            Assert.Equal(["named_threads", "glibc", "-"], cRow[1..4]);
            Assert.StartsWith("yes: syscalls; --precise probes glibc", cRow[5]);

            var jeRow = Columns(ps[preloaded.Id]);
            Assert.Equal("sleep", jeRow[1]);
            // Debian's jemalloc needs libstdc++, whose operator new and delete precise mode probes too.
            Assert.Equal(["jemalloc_(preloaded)", "libstdc++", "glibc"], jeRow[2].Split(','));
            Assert.StartsWith("yes: syscalls; --precise probes jemalloc, libstdc++, glibc", jeRow[5]);

            var goRow = Columns(ps[go.Id]);
            Assert.Equal(["go_demo", "go", goVersion], goRow[1..4]);
            Assert.Equal("yes: syscalls, Go large allocations and GC pauses", goRow[5]);

            var net = Columns(ps[dotnet.Id]);
            Assert.Equal("gcwork", net[1]);
            Assert.Equal($".NET_{Environment.Version}", net[3]);
            Assert.StartsWith("yes: syscalls; --precise probes glibc", net[5]);

            var self = Columns(ps[Environment.ProcessId]);
            Assert.Equal($".NET_{Environment.Version}", self[3]);
            Assert.Contains("glibc", self[2].Split(','));

            // Every row says whether it can be probed; no kernel thread is listed.
            Assert.All(ps.Values, l => Assert.Matches(@"  (yes: |no uprobes: |syscalls)", l));
            Assert.DoesNotContain(ps.Values, l => Columns(l)[1] is "kthreadd" or "ksoftirqd/0");

            var named = Cli.Run(["ps", "-n", "named_threads"]);
            Assert.Equal(2, named.Stdout.Trim().Split('\n').Length);
        }
        finally
        {
            // Not checked: a failure above must not be hidden by one here (a workload that already exited).
            ProcessRunner.Run("/bin/sh", ["-c", $"kill -USR1 {c.Id}; kill -KILL {go.Id} {preloaded.Id}; echo > {gate}"], timeoutSeconds: 60, check: false);
            c.Wait(TimeSpan.FromSeconds(30));
            dotnet.Wait(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public void ABadOptionIsOneLine()
    {
        var r = InProcessCli.Run(["ps", "--frob"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("[ERROR] unknown option --frob (see 'alloclat ps --help')", r.Stderr.Trim());
    }
}
