using Tracer.Core;
using Tracer.Sinks;

namespace Tracer.Sinks.Tests;

/// <summary>.NET pauses in the live table: named by generation and reason, and AllocLarge ones said under the table.</summary>
public class DotnetPauseRowTests
{
    private static SeriesSnapshot Pause(string generation, string reason, string type, long count, long max) => new("gc_pause",
        [new("comm", "svc"), new("generation", generation), new("pid", "77"), new("reason", reason), new("runtime", "dotnet"), new("type", type)],
        new LatencyStats(count, 0, 10_000, max / 2, max / 2, max, max, max, max, max));

    [Fact]
    public void ARowPerKindOfCollectionAndALineForLargeObjectOnes()
    {
        var text = new ConsoleTableSink(TextWriter.Null).Render(new IntervalSnapshot(0, 1_000_000_000, "h",
            [Pause("0", "AllocSmall", "NonConcurrent", 12, 400_000), Pause("2", "AllocLarge", "Background", 3, 13_700_000)], default));
        var lines = text.Split('\n');
        Assert.Matches(@"^\s*77 svc\s+dotnet\s+gc0 AllocSmall\s+-\s+12\s", Assert.Single(lines, l => l.Contains("gc0 AllocSmall")));
        Assert.Matches(@"^\s*77 svc\s+dotnet\s+gc2 AllocLarge\s+-\s+3\s", Assert.Single(lines, l => l.Contains("gc2 AllocLarge")));
        Assert.Equal("  LARGE-OBJECT GC  pid=77 comm=svc gen2 Background: 3 pauses, longest 13.7ms (allocations on the large object heap ran out of budget)",
            Assert.Single(lines, l => l.Contains("LARGE-OBJECT")));
    }
}
