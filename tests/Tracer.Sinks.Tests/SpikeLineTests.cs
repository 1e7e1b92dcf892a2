using Tracer.Core;

namespace Tracer.Sinks.Tests;

public class SpikeLineTests
{
    private static EventPoint Spike(string cause, long faults = 65536, string stack = "[libc.so.6+0x2724a];main+0x40;run+0x10;__mmap+0x13",
        params KeyValuePair<string, FieldValue>[] extra) =>
        new("alloc_spike",
            [new("allocator", "kernel"), new("cause", cause), new("comm", "alloc_demo"), new("op", "mmap"), new("pid", "4242"), new("size_class", "256M")],
            [
                new("latency", 249_775_377L), new("size", 268_435_456L), new("reclaim_ns", 12_000_000L), new("compaction_ns", 0L),
                new("on_cpu_ns", 240_000_000L), new("off_cpu_ns", 9_775_377L), new("runqueue_ns", 6_275_377L), new("blocked_ns", 3_500_000L),
                new("faults", faults), new("major_faults", 0L), new("delayacct", false), new("moved", false),
                new("tid", 4243L), new("stack", stack), .. extra,
            ])
        { TimestampUnixNs = (1795425600L + 16931) * 1_000_000_000 };

    [Fact]
    public void ASpikeReadsAsTimeProcessCallLatencyCauseAndFrames_InnermostFirst() =>
        Assert.Equal("14:02:11 alloc_demo 4242 mmap 256M 250 ms  page population 65536 faults  at __mmap+0x13 <- run+0x10 <- main+0x40 <- [libc.so.6+0x2724a]",
            SpikeLine.Format(Spike("page_population"), TimeZoneInfo.Utc, 200));

    [Theory]
    [InlineData("reclaim", "direct reclaim 12.0 ms")]
    [InlineData("off_cpu", "blocked 3.50 ms")]
    [InlineData("preempted", "preempted 6.28 ms")]
    [InlineData("on_cpu", "on CPU 240 ms")]
    [InlineData("page_faults", "page faults 65536 faults")]
    [InlineData("unknown", "cause unknown (returned on another thread)")]
    public void KnownCausesAreWordsWithTheirAmount(string cause, string words) =>
        Assert.Contains($" 250 ms  {words}  at ", SpikeLine.Format(Spike(cause), TimeZoneInfo.Utc, 300));

    [Fact]
    public void ACauseWrittenAsAFieldByOlderVersionsIsReadToo()
    {
        var old = new EventPoint("alloc_spike", [new("comm", "a"), new("op", "mmap"), new("pid", "1")],
            [new("latency", 6_000_000L), new("size", 65536L), new("cause", "off_cpu"), new("blocked_ns", 5_000_000L)]) { TimestampUnixNs = 0 };
        Assert.Equal("00:00:00 a 1 mmap 64K 6.00 ms  blocked 5.00 ms", SpikeLine.Format(old, TimeZoneInfo.Utc, 200));
    }

    [Fact]
    public void AnUnknownCauseIsStillShown_WithTheFieldNamedAfterIt()
    {
        Assert.Contains("  memcg throttle 7.00 ms  at ",
            SpikeLine.Format(Spike("memcg_throttle", extra: new KeyValuePair<string, FieldValue>("memcg_throttle_ns", 7_000_000L)), TimeZoneInfo.Utc, 300));
        Assert.Contains("  swap in 12  at ", SpikeLine.Format(Spike("swap_in", extra: new KeyValuePair<string, FieldValue>("swap_in", 12L)), TimeZoneInfo.Utc, 300));
        Assert.Contains("  thp split  at ", SpikeLine.Format(Spike("thp_split"), TimeZoneInfo.Utc, 300));
    }

    [Fact]
    public void ALineEndsBetweenFrames_NeverInsideOne()
    {
        var spike = Spike("page_population");
        string full = SpikeLine.Format(spike, TimeZoneInfo.Utc, 500);
        for (int width = 40; width <= full.Length; width++)
        {
            string line = SpikeLine.Format(spike, TimeZoneInfo.Utc, width);
            Assert.True(line.Length <= width, $"{line.Length} > {width}: {line}");
            if (line == full)
                continue;
            // Whatever was left out is announced; each shown frame is whole.
            Assert.True(line.EndsWith(" <- ...", StringComparison.Ordinal) || full.StartsWith(line, StringComparison.Ordinal), line);
            foreach (var frame in line.Split(" <- ").Skip(1).Where(f => f != "..."))
                Assert.Contains(frame, new[] { "run+0x10", "main+0x40", "[libc.so.6+0x2724a]" });
        }
        Assert.Equal("14:02:11 alloc_demo 4242 mmap 256M 250 ms  page population 65536 faults  at __mmap+0x13 <- ...",
            SpikeLine.Format(spike, TimeZoneInfo.Utc, 96));
    }

    [Fact]
    public void OneFaultIsSingular() =>
        Assert.Contains("page population 1 fault  at", SpikeLine.Format(Spike("page_population", faults: 1), TimeZoneInfo.Utc, 300));

    [Fact]
    public void ControlCharactersInNamesCannotMoveTheCursor()
    {
        var spike = Spike("on_cpu", stack: "main+0x1;\u001b[2Jevil+0x2") with { };
        string line = SpikeLine.Format(spike, TimeZoneInfo.Utc, 300);
        Assert.DoesNotContain('\u001b', line);
        Assert.Contains("?[2Jevil+0x2", line);
    }
}
