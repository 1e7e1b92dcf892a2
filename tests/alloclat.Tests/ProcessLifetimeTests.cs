using System.Diagnostics;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>
/// What alloclat keeps for a process (its uprobe links and their file descriptors, its series, its symbols) goes
/// when the process exits: after many short-lived processes of a traced binary, alloclat holds the links of the
/// live ones and no more, and its memory has not grown with the lifetimes.
/// </summary>
public class ProcessLifetimeTests
{
    /// <summary>Link descriptors alloclat holds: BPF links, and the perf events of tracepoints (and of perf-event uprobes).</summary>
    private static int LinkDescriptors(int pid) => Directory.EnumerateFiles($"/proc/{pid}/fd")
        .Select(fd => { try { return new FileInfo(fd).LinkTarget ?? ""; } catch (IOException) { return ""; } })
        .Count(t => t.StartsWith("anon_inode:[perf_event]", StringComparison.Ordinal) || t.StartsWith("anon_inode:bpf_link", StringComparison.Ordinal));

    private static long RssKb(int pid) => long.Parse(File.ReadLines($"/proc/{pid}/status")
        .First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
        System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The collector's alloclat-guard child.</summary>
    private static int GuardOf(int collector) => Directory.EnumerateDirectories("/proc")
        .Select(d => int.TryParse(Path.GetFileName(d), out int pid) ? pid : 0)
        .Single(pid =>
        {
            try
            {
                string stat = File.ReadAllText($"/proc/{pid}/stat");
                return stat.Contains("(alloclat-guard)", StringComparison.Ordinal) &&
                    stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1] == collector.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                return false;
            }
        });

    private static char State(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[stat.LastIndexOf(')') + 2];
    }

    /// <summary>Starts a process of the binary that lives through the test and waits until its probes are in place.</summary>
    private static CapturedProcess StartLive(string program, CapturedProcess alloclat)
    {
        var live = CapturedProcess.Start(program, ["600"]);
        // The exec hook holds it (state T) until its probes are attached: asleep in the program's own image means
        // it was continued after them (before its exec it is still the forked test runner).
        Wait.UntilAsync(() => new FileInfo($"/proc/{live.Id}/exe").LinkTarget == program && State(live.Id) == 'S',
            TimeSpan.FromSeconds(60), "the live process to be probed and continued").GetAwaiter().GetResult();
        Assert.False(alloclat.HasExited);
        return live;
    }

    [Fact]
    public async Task LinksAfterManyPreciseLifetimesAreThoseOfTheLiveProcess()
    {
        string program = ExecHoldTests.ProgramCopy("/bin/sleep");
        var p = Cli.Start(["record", "-q", "--precise", "-o", Cli.TempOutput(), "--binary", program]);
        try
        {
            await LinksFollowLiveProcesses(p, program);
        }
        finally
        {
            // A failed assertion must not leave the collector tracing after the test.
            if (!p.HasExited)
                p.Kill();
        }
    }

    /// <summary>
    /// SIGTERM right after many lifetimes: the links of exited processes not yet removed are handed to the guard,
    /// so the exit waits for none of them, and once the guard is done every program alloclat had is unloaded. The
    /// bound is generous for a loaded test machine (the bench's figure is 2 s after 300 lifetimes); links removed
    /// one grace period at a time under the kernel's event lock took minutes here.
    /// </summary>
    [Fact]
    public async Task ExitRightAfterManyPreciseLifetimesIsPrompt()
    {
        string program = ExecHoldTests.ProgramCopy("/bin/true");
        var p = Cli.Start(["record", "-q", "-v", "--precise", "-o", Cli.TempOutput(), "--binary", program]);
        try
        {
            Cli.WaitUntilTracing(p);
            int idle = LinkDescriptors(p.Id);
            const int Lifetimes = 100;
            using (var churn = new Churn(program, Lifetimes))
            {
                churn.Go();
                Assert.Equal(Lifetimes, churn.WaitForEnd(TimeSpan.FromSeconds(600)));
            }
            int left = LinkDescriptors(p.Id) - idle;
            var programs = TracingTests.ProgramsHeldBy(p.Id);
            Assert.NotEmpty(programs);
            int guard = GuardOf(p.Id);
            var exit = Stopwatch.StartNew();
            Tmds.Linux.LibC.kill(p.Id, 15);
            var result = Cli.Wait(p, TimeSpan.FromSeconds(120));
            Assert.Equal(0, result.ExitCode);
            Assert.True(exit.Elapsed < TimeSpan.FromSeconds(15), $"exit took {exit.Elapsed.TotalSeconds:0.0} s after {Lifetimes} lifetimes");
            // Links of exited processes still there at the exit (their removal is serialized in the kernel, and goes
            // on until the exit) were taken by the guard: no more than were left, six per process at most.
            var handed = System.Text.RegularExpressions.Regex.Match(result.Stderr, @"\[INFO\] (\d+) probe links of exited processes handed to alloclat-guard");
            if (left > 8)
            {
                Assert.True(handed.Success, $"{left} links left at the exit, none handed to the guard:\n{result.Stderr}");
                Assert.InRange(int.Parse(handed.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, Math.Min(left, 6 * Lifetimes));
            }
            // The guard, now init's child, ends once it has closed what it took: then nothing of the run is loaded.
            await Wait.UntilAsync(() => { try { return State(guard) == 'Z'; } catch (IOException) { return true; } }, TimeSpan.FromSeconds(120),
                "the guard to remove the links it took over");
            // A uprobe_multi link drops its program after an RCU grace period (the kernel defers the link's
            // deallocation), so the last programs leave the kernel's list a moment after the guard's last close.
            await Wait.UntilAsync(() => !programs.Overlaps(TracingTests.LoadedPrograms()), TimeSpan.FromSeconds(60),
                "the programs of the run to be unloaded once the guard has closed their links");
        }
        finally
        {
            if (!p.HasExited)
                p.Kill();
        }
    }

    private static async Task LinksFollowLiveProcesses(CapturedProcess p, string program)
    {
        Cli.WaitUntilTracing(p);
        int idle = LinkDescriptors(p.Id);
        // Disposed, and killed, whatever happens: a failed assertion must not leave the 600-second process behind.
        using var live = StartLive(program, p);
        await LinksFollowLiveProcesses(p, program, live, idle);
    }

    private static async Task LinksFollowLiveProcesses(CapturedProcess p, string program, CapturedProcess live, int idle)
    {
        int withLive = LinkDescriptors(p.Id);
        long rssWithLive = RssKb(p.Id);
        Assert.True(withLive > idle, $"no links for the live process: {idle} -> {withLive}");
        // One link per program and kind for all of glibc's malloc family (five entry programs, one return program),
        // each one descriptor: not two descriptors per function and kind (16 links, 32 descriptors).
        Assert.True(withLive - idle <= 6, $"{withLive - idle} link descriptors for one process's probes");

        const int Lifetimes = 60;
        using (var churn = new Churn(program, Lifetimes, "0"))
        {
            churn.Go();
            // Each start waits at exec for its probes: seconds each on a loaded machine, so the bound is generous.
            Assert.Equal(Lifetimes, churn.WaitForEnd(TimeSpan.FromSeconds(600)));
        }
        // Links of exited processes are detached in the background: wait until the last one is gone.
        await Wait.UntilAsync(() => LinkDescriptors(p.Id) <= withLive, TimeSpan.FromSeconds(60),
            $"the links of {Lifetimes} exited processes to be released");
        Assert.Equal(withLive, LinkDescriptors(p.Id));
        // Memory follows what is live (one process), not the lifetimes: what grew is at most the young generation's
        // budget (4 MiB) and the histograms of one interval's series, never about a megabyte per lifetime.
        long grown = RssKb(p.Id) - rssWithLive;
        Assert.True(grown < 32 * 1024, $"RSS grew by {grown} kB over {Lifetimes} lifetimes of a process that is gone");

        live.Kill();
        Assert.True(live.WaitForExit(TimeSpan.FromSeconds(30)), "the live process did not exit on SIGKILL");
        await Wait.UntilAsync(() => LinkDescriptors(p.Id) <= idle, TimeSpan.FromSeconds(60), "the live process's links to be released after it exited");
        Assert.Equal(idle, LinkDescriptors(p.Id));
        Tmds.Linux.LibC.kill(p.Id, 15);
        Assert.Equal(0, Cli.Wait(p, TimeSpan.FromSeconds(60)).ExitCode);
    }
}
