using System.Text;
using Tracer.Aggregation;
using Tracer.Core;

namespace Tracer.Aggregation.Tests;

/// <summary>
/// Calls a source aggregated itself (the kernel's histograms) reach each interval's snapshot: handed over at the
/// interval's end, before its counters and series are taken, and once more, marked final, for the last interval.
/// </summary>
public class SourceAggregatedCallsTests
{
    private static readonly SeriesKey s_key = new(9, Allocators.Glibc, AllocOp.Malloc, SizeClass.Of(1 << 20));

    /// <summary>Each interval's end hands over 100 calls at 3 us and 1 at 2 ms, and counts them.</summary>
    private sealed class Aggregating : IEventSource
    {
        public List<bool> Ends { get; } = [];
        private long _calls;

        public void Poll(int timeoutMs, IAllocationRecorder recorder) => Thread.Sleep(Math.Min(timeoutMs, 5));

        public void EndInterval(IAllocationRecorder recorder, bool final)
        {
            Ends.Add(final);
            recorder.RecordMany(s_key, 100UL << 20, 3_000, 100, Encoding.ASCII.GetBytes("svc\0\0"));
            recorder.RecordMany(s_key, 1UL << 20, 2_000_000, 1, Encoding.ASCII.GetBytes("svc"));
            _calls += 101;
        }

        public SourceCounters ReadCounters() => new(_calls, 0, 0);

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task EveryIntervalHasTheCallsHandedOverAtItsEnd()
    {
        var source = new Aggregating();
        var collector = new IntervalCollector(new CombinedEventSource(source), new SeriesTable(), TimeSpan.FromMilliseconds(50), "h");
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => collector.Run(stop.Token));
        var snapshots = new List<IntervalSnapshot>();
        while (snapshots.Count < 3)
            snapshots.Add(await collector.Snapshots.Reader.ReadAsync());
        stop.Cancel();
        await run;
        while (collector.Snapshots.Reader.TryRead(out var s))
            snapshots.Add(s);

        Assert.Equal(snapshots.Count, source.Ends.Count);
        Assert.Equal([.. Enumerable.Repeat(false, snapshots.Count - 1), true], source.Ends);
        Assert.True(snapshots[^1].Final);
        Assert.All(snapshots, s =>
        {
            var series = Assert.Single(s.Series);
            Assert.Equal(101, series.Stats.Count);
            Assert.Equal(101L << 20, series.Stats.Bytes);
            Assert.Equal("svc", series.Tag("comm"));
            Assert.InRange(series.Stats.P99, 3_000, 3_003);
            Assert.InRange(series.Stats.Max, 2_000_000, 2_002_000);
            Assert.Equal(101, s.Stats.Events);
        });
    }
}
