using System.Diagnostics;
using System.Text.Json;
using static Alloclat.Tests.SpikeTests;

namespace Alloclat.Tests;

/// <summary>
/// The kernel causes of slow calls, checked against work whose cause is known: the kernel populating a mapping
/// page by page, memcg reclaim under a small memory limit, and a program that is not traced, which must not run any
/// of alloclat's programs on its page faults and context switches.
/// </summary>
public class SpikeCauseTests
{
    private static List<string> Spikes(string output) =>
        File.ReadAllLines(output).Where(l => l.StartsWith("alloc_spike,", StringComparison.Ordinal)).ToList();

    [Fact]
    public void AMappingPopulatedInOneCallIsPagePopulationWithOneFaultPerPage()
    {
        const long Pages = 8192;
        string output = Cli.TempOutput();
        var result = Cli.Run(["record", "-q", "-o", output, "--spike-threshold", "1ms", "--",
            Cli.Workload("cause_workload"), "populate", Pages.ToString(), "5"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var mmaps = Spikes(output).Where(s => s.Contains(",op=mmap,")).ToList();
        Assert.Equal(5, mmaps.Count);
        var expected = Populating.FaultsFor(Pages * Populating.PageSize);
        Assert.All(mmaps, s =>
        {
            Assert.Equal(Pages * Populating.PageSize, Field(s, "size"));
            Assert.True(expected.Contains(Field(s, "faults")), $"{expected}: {s}");
            Assert.Equal(0, Field(s, "major_faults"));
            long latency = Field(s, "latency"), onCpu = Field(s, "on_cpu_ns"), runqueue = Field(s, "runqueue_ns");
            Assert.Equal(latency, onCpu + Field(s, "off_cpu_ns"));
            Assert.Equal(Field(s, "off_cpu_ns"), runqueue + Field(s, "blocked_ns"));
            // Populating runs on the CPU; on a busy host the call may wait longer for a CPU than it ran.
            Assert.Equal(onCpu >= runqueue ? "page_population" : "preempted", Tag(s, "cause"));
        });
    }

    [Fact]
    public void PopulatingUnderASmallMemoryLimitWithPageCacheToDropIsReclaim()
    {
        // Page cache must be on a disk-backed filesystem: tmpfs pages could only go to swap.
        string dir = Path.Combine(Cli.Root, "build", "test-tmp");
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, $"reclaim-{Environment.ProcessId}.bin");
        string[] workload = [Cli.Workload("cause_workload"), "reclaim", file, "256", "16", "6"];
        try
        {
            List<string> limited;
            long hits;
            using (var cg = MemoryCgroup.Create(160L << 20))
            {
                limited = Record(cg.Wrap(workload));
                hits = cg.LimitHits();
            }
            Assert.True(hits > 0, "the workload never reached its memory limit");
            // The six 16 MiB mappings (96 MiB) fit under 160 MiB only once reclaim has dropped the file's cache.
            Assert.True(limited.Count >= 4, string.Join('\n', limited));
            var slowest = limited.OrderByDescending(s => Field(s, "latency")).Take(4).ToList();
            Assert.True(slowest.Count(s => Field(s, "reclaim_ns") > 0) >= 3, string.Join('\n', limited));

            var unlimited = Record(["sh", "-c", "exec \"$@\"", "sh", .. workload]);
            Assert.NotEmpty(unlimited);
            Assert.All(unlimited, s => Assert.Equal(0, Field(s, "reclaim_ns")));
        }
        finally
        {
            File.Delete(file);
        }

        static List<string> Record(string[] command)
        {
            string output = Cli.TempOutput();
            var result = Cli.Run(["record", "-q", "-o", output, "--spike-threshold", "1ms", "--", .. command]);
            Assert.True(result.ExitCode == 0, result.ToString());
            var mmaps = Spikes(output).Where(s => s.Contains(",op=mmap,") && s.Contains(",comm=cause_workload,")).ToList();
            Assert.All(mmaps, s => Assert.True(Populating.FaultsFor(16 << 20).Contains(Field(s, "faults")), s));
            return mmaps;
        }
    }

    [Fact]
    public void AProgramThatIsNotTracedRunsNoProgramOfAlloclatOnItsFaultsAndSwitches()
    {
        string output = Cli.TempOutput();
        using var stats = BpfStats.Enable();
        var collector = Cli.Start(["record", "-q", "-o", output, "--", "sleep", "600"]);
        try
        {
            Cli.WaitUntilTracing(collector);
            var attached = Attachments(collector.Id);
            Assert.NotEmpty(attached);
            // The hot host-wide tracepoints have no program of alloclat at all.
            Assert.DoesNotContain(attached.Values, tp => tp is "page_fault_user" or "sched_switch" || tp.StartsWith("mmap_lock", StringComparison.Ordinal));

            var before = RunCounts(collector.Id);
            string printed = Tracer.TestSupport.ProcessRunner.Run(Cli.Workload("cause_workload"), ["noise", "200000", "100000"], timeoutSeconds: 120, check: false).Stdout;
            var after = RunCounts(collector.Id);

            var m = System.Text.RegularExpressions.Regex.Match(printed, @"faults=(\d+) switches=(\d+)");
            long faults = long.Parse(m.Groups[1].Value), switches = long.Parse(m.Groups[2].Value);
            Assert.True(faults >= 200_000 && switches >= 100_000, printed);
            var ran = after.Where(kv => kv.Value > before.GetValueOrDefault(kv.Key))
                .Select(kv => (Tracepoint: attached.GetValueOrDefault(kv.Key, "?"), Runs: kv.Value - before.GetValueOrDefault(kv.Key))).ToList();
            // The syscall and process-lifecycle tracepoints see every process's mmap/munmap/brk, fork, exec and exit
            // (and return at once for those that are not targets): the rest of a shared host makes thousands a second,
            // and none of them is a fault or a switch. Every other program together ran less than once per hundred
            // of the untraced program's faults and switches: none runs on them.
            static bool OnSyscallOrLifecycle(string tp) =>
                tp.StartsWith("sys_enter_", StringComparison.Ordinal) || tp.StartsWith("sys_exit_", StringComparison.Ordinal) || tp.StartsWith("sched_process_", StringComparison.Ordinal);
            long others = ran.Where(r => !OnSyscallOrLifecycle(r.Tracepoint)).Sum(r => r.Runs);
            Assert.True(others < (faults + switches) / 100,
                $"{others} runs of alloclat's other programs during {faults} faults and {switches} switches ({string.Join(", ", ran.Select(r => $"{r.Tracepoint}: {r.Runs}"))})");
        }
        finally
        {
            // SIGTERM stops the traced command and alloclat with it.
            Cli.Sh($"kill -TERM {collector.Id}");
            var result = Cli.Wait(collector, TimeSpan.FromSeconds(30));
            Assert.True(result.ExitCode == 128 + 15, result.ToString());
        }
    }

    /// <summary>prog id to tracepoint name, for the tracepoint links a process holds (bpftool's perf listing).</summary>
    private static Dictionary<long, string> Attachments(int pid) =>
        JsonDocument.Parse(Cli.Sh("bpftool -j perf show")).RootElement.EnumerateArray()
            .Where(e => e.GetProperty("pid").GetInt32() == pid && e.TryGetProperty("tracepoint", out _))
            .ToDictionary(e => e.GetProperty("prog_id").GetInt64(), e => e.GetProperty("tracepoint").GetString()!);

    /// <summary>
    /// How many times each program a process holds has run: the kernel's fdinfo of its program descriptors counts
    /// runs while kernel.bpf_stats_enabled is set.
    /// </summary>
    private static Dictionary<long, long> RunCounts(int pid)
    {
        var counts = new Dictionary<long, long>();
        foreach (var info in Directory.EnumerateFiles($"/proc/{pid}/fdinfo"))
        {
            long id = -1, runs = -1;
            try
            {
                foreach (var line in File.ReadLines(info))
                {
                    if (line.StartsWith("prog_id:", StringComparison.Ordinal))
                        id = long.Parse(line[8..].Trim());
                    else if (line.StartsWith("run_cnt:", StringComparison.Ordinal))
                        runs = long.Parse(line[8..].Trim());
                }
            }
            catch (IOException)
            {
            }
            if (id >= 0 && runs >= 0)
                counts[id] = runs;
        }
        return counts;
    }
}

/// <summary>Sets kernel.bpf_stats_enabled for as long as it is held, then puts back what was there.</summary>
public sealed class BpfStats : IDisposable
{
    private const string Path = "/proc/sys/kernel/bpf_stats_enabled";
    private readonly string _previous;

    private BpfStats()
    {
        _previous = File.ReadAllText(Path).Trim();
        File.WriteAllText(Path, "1");
    }

    public static BpfStats Enable() => new();

    public void Dispose() => File.WriteAllText(Path, _previous);
}
