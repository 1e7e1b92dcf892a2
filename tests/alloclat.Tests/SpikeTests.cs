using System.Text.RegularExpressions;

namespace Alloclat.Tests;

/// <summary>
/// Slow calls come out as alloc_spike points with the caller's stack and where the time went in the kernel. The
/// slowness is real: an allocator that sleeps (off-CPU time), and mappings the kernel must populate page by page.
/// </summary>
public class SpikeTests
{
    private static (List<string> Lines, CliResult Result) Trace(params string[] args)
    {
        string output = Cli.TempOutput();
        var result = Cli.Run(["record", "-q", "-o", output, .. args]);
        Assert.True(File.Exists(output), result.ToString());
        return (File.ReadAllLines(output).ToList(), result);
    }

    internal static long Field(string line, string name) =>
        long.Parse(Regex.Match(line, $"[ ,]{name}=(-?[0-9]+)i").Groups[1].Value);

    private static string Text(string line, string name) =>
        Regex.Match(line, $"[ ,]{name}=\"((?:[^\"\\\\]|\\\\.)*)\"").Groups[1].Value;

    internal static string Tag(string line, string name) =>
        Regex.Match(line[..line.IndexOf(' ')], $",{name}=([^,]*)").Groups[1].Value;

    [Fact]
    public void ACallThatSleepsIsASpikeCausedByOffCpuTimeWithItsCallersStack()
    {
        var (lines, result) = Trace("--precise", "--spike-threshold", "2ms", "--",
            "env", $"LD_PRELOAD={Cli.Workload("libslowalloc.so")}", "SLOWALLOC_SLEEP=1", "SLOWALLOC_NS=4000000",
            Cli.Workload("alloc_workload"), "6", "0", "0");
        Assert.Equal(0, result.ExitCode);
        // Exactly the six large mallocs sleep. Other calls may be real spikes too on a busy machine (a free
        // preempted for milliseconds): they are reported, and not counted here.
        var spikes = lines.Where(l => l.StartsWith("alloc_spike,allocator=slowalloc,", StringComparison.Ordinal)).ToList();
        Assert.Equal(6, spikes.Count);
        Assert.All(spikes, s =>
        {
            Assert.Contains(",allocator=slowalloc,", s);
            Assert.Contains(",op=malloc,", s);
            long latency = Field(s, "latency");
            Assert.InRange(latency, 4_000_000, 100_000_000);
            // The allocator sleeps 4 ms: at least that long blocked, and what else is off the CPU is a wait for it.
            long blocked = Field(s, "blocked_ns"), runqueue = Field(s, "runqueue_ns"), onCpu = Field(s, "on_cpu_ns");
            Assert.InRange(blocked, 3_900_000, latency);
            Assert.Equal(latency, onCpu + Field(s, "off_cpu_ns"));
            Assert.Equal(Field(s, "off_cpu_ns"), blocked + runqueue);
            Assert.True(Field(s, "voluntary_switches") >= 1, s);
            string largest = onCpu >= blocked && onCpu >= runqueue ? (Field(s, "faults") > 0 ? "page_faults" : "on_cpu")
                : blocked >= runqueue ? "off_cpu" : "preempted";
            Assert.Equal(largest, Tag(s, "cause"));
            // Outermost first: main calls run, which made the allocation.
            Assert.Matches(@"(^|;)main\+0x[0-9a-f]+;run\+0x[0-9a-f]+$", Text(s, "stack"));
        });
        // Each spike carries its own time, so none overwrites another in a database.
        Assert.Equal(6, spikes.Select(s => s[(s.LastIndexOf(' ') + 1)..]).Distinct().Count());
    }

    [Fact]
    public void AMappingTheKernelPopulatesIsASpikeInDefaultMode()
    {
        var (lines, result) = Trace("--spike-threshold", "5ms", "--", Cli.Demo, "2");
        Assert.Equal(0, result.ExitCode);
        var spikes = lines.Where(l => l.StartsWith("alloc_spike,", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(spikes);
        // A frame-pointer walk starts in libc's syscall wrapper (which keeps no frame of its own, so its caller is
        // not seen) and goes on through the caller's callers.
        Assert.Contains(spikes, s => s.Contains(",allocator=kernel,") && s.Contains(",op=mmap,")
            && Regex.IsMatch(s, ",size_class=(64M|128M|256M) ") && Regex.IsMatch(Text(s, "stack"), @"^\[libc\.so\.6\+0x[0-9a-f]+\];__mmap\+0x[0-9a-f]+$"));
        Assert.All(spikes, s => Assert.True(Field(s, "latency") >= 5_000_000, s));
        Assert.All(spikes, s => Assert.Contains(Tag(s, "cause"), new[] { "reclaim", "compaction", "off_cpu", "preempted", "page_population", "on_cpu" }));
        // The populated mappings' faults are every page of them (the demo maps whole numbers of 4 KiB pages).
        Assert.Contains(spikes, s => s.Contains(",op=mmap,") && Populating.FaultsFor(Field(s, "size")).Contains(Field(s, "faults")));
    }

    [Fact]
    public void SpikesCanBeTurnedOff()
    {
        var (lines, result) = Trace("--spike-threshold", "off", "--", Cli.Demo, "1");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains(lines, l => l.StartsWith("alloc_latency,", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("alloc_spike,", StringComparison.Ordinal));
    }
}
