using System.Text;
using Tracer.Aggregation;
using Tracer.Core;

namespace Tracer.DotNet.Tests;

/// <summary>.NET pauses go into the one series table beside the kernel's calls, split by what the collection was.</summary>
public class GcPauseSeriesTests
{
    private sealed class Feed(params (SeriesKey Key, long Ns)[] events) : IEventSource
    {
        public int Polls;

        public void Poll(int timeoutMs, IAllocationRecorder recorder)
        {
            Polls++;
            foreach (var (key, ns) in events)
                recorder.Record(key, 0, ns, Encoding.ASCII.GetBytes("svc"));
        }

        public SourceCounters ReadCounters() => new(events.Length, 1, 0);

        public IReadOnlyList<EventPoint> TakeEvents() => [new EventPoint("e", [], [new("n", 1L)])];

        public void Dispose()
        {
        }
    }

    [Fact]
    public void PausesAreTaggedByGenerationReasonAndType()
    {
        var table = new SeriesTable();
        var large = new SeriesKey(7, Allocators.Dotnet, AllocOp.GcPause, 0, new GcKind(true, 2, DotnetGcNames.AllocLarge, 1));
        var induced = large with { Gc = new GcKind(true, 0, 1, 0) };
        var mmap = new SeriesKey(7, Allocators.Kernel, AllocOp.Mmap, SizeClass.Of(1 << 20));
        var kernel = new Feed((mmap, 5_000));
        var runtime = new Feed((large, 2_000_000), (large, 3_000_000), (induced, 100_000));
        using var both = new CombinedEventSource(kernel, runtime);

        both.Poll(10, table);
        var series = table.TakeSnapshot();

        var pause = Assert.Single(series, s => s.Tag("reason") == "AllocLarge");
        Assert.Equal("gc_pause", pause.Measurement);
        Assert.Equal(["comm", "generation", "pid", "reason", "runtime", "type"], pause.Tags.Select(t => t.Key));
        Assert.Equal(["svc", "2", "7", "AllocLarge", "dotnet", "Background"], pause.Tags.Select(t => t.Value));
        Assert.Equal(2, pause.Stats.Count);
        var small = Assert.Single(series, s => s.Tag("reason") == "Induced");
        Assert.Equal(("0", "NonConcurrent"), (small.Tag("generation"), small.Tag("type")));
        Assert.Equal("mmap", Assert.Single(series, s => s.Measurement == "alloc_latency").Tag("op"));

        Assert.Equal(new SourceCounters(4, 2, 0), both.ReadCounters());
        Assert.Equal(2, both.TakeEvents().Count);
        Assert.Equal((1, 1), (kernel.Polls, runtime.Polls));
    }

    [Fact]
    public void UnknownReasonsAreWrittenAsTheirNumber()
    {
        Assert.Equal("AllocLarge", DotnetGcNames.Reason(4));
        Assert.Equal("InducedAggressive", DotnetGcNames.Reason(17));
        Assert.Equal("42", DotnetGcNames.Reason(42));
        Assert.Equal("Foreground", DotnetGcNames.Type(2));
    }
}
