using Tracer.Core;

namespace Tracer.Sinks.Tests;

public class LiveScreenTests
{
    private static LatencyStats Stats(long count, long p50, long p99, long p999, long max) => new(count, 0, 1, 2, p50, 0, p99, p999, 0, max);

    private static IntervalSnapshot Interval(long endSeconds, params SeriesSnapshot[] series) => Interval(endSeconds, null, series);

    private static IntervalSnapshot Interval(long endSeconds, ProbeCost? cost, params SeriesSnapshot[] series) =>
        new(endSeconds * 1_000_000_000 - 1_000_000_000, endSeconds * 1_000_000_000, "h", series, new CollectorStats(1500, 2, 1, 0, ProbeCost: cost));

    private static readonly SeriesSnapshot[] s_series =
    [
        TestData.Series(10, "fast", "glibc", "malloc", "32K", Stats(900, 1_000, 2_000, 3_000, 4_000)),
        TestData.Series(20, "slow", "jemalloc", "malloc", "1M", Stats(5, 9_000_000, 9_500_000, 9_900_000, 9_900_000)),
        TestData.Series(30, "mid", "kernel", "mmap", "1M", Stats(50, 50_000, 60_000, 70_000, 90_000)),
    ];

    private static List<string> Comms(IReadOnlyList<string> lines) =>
        lines.SkipWhile(l => !l.Contains("PID COMM")).Skip(1).TakeWhile(l => l.Length > 0 && char.IsAsciiDigit(l.TrimStart()[0]))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).ToList();

    [Fact]
    public async Task SeriesAreOrderedByP999_AndEachKeyPressChangesTheOrder()
    {
        var screen = new LiveScreen(TextWriter.Null, () => (120, 30), "process 1", TimeZoneInfo.Utc);
        await screen.WriteAsync(Interval(1795425600, new ProbeCost(2_600, 21_400, 48_000, 50_000, 40, 10_000, Subtracted: true), s_series), CancellationToken.None);
        var lines = screen.Render(120, 30);
        Assert.Equal("alloclat 09:20:00  up 0:01  events/s 1500  lost 2  drops 1 inflight 0 sink  probe cost 2.60us/21.4us subtracted", lines[0]);
        Assert.Equal("series 3  sorted by p99.9  keys: s sort  p pause  q quit  tracing process 1", lines[1]);
        Assert.Equal(["slow", "mid", "fast"], Comms(lines));
        screen.NextOrder();
        Assert.Equal("p99", SeriesRows.Name(screen.Order));
        screen.NextOrder();
        screen.NextOrder();
        screen.NextOrder();
        Assert.Equal(SeriesOrder.Count, screen.Order);
        Assert.Equal(["fast", "mid", "slow"], Comms(screen.Render(120, 30)));
        screen.NextOrder();
        Assert.Equal(SeriesOrder.Pid, screen.Order);
        Assert.Equal(["fast", "slow", "mid"], Comms(screen.Render(120, 30)));
    }

    [Fact]
    public async Task TheScreenIsDrawnFromTheTopEachTime_OnTheAlternateScreen_WhichIsLeftAtTheEnd()
    {
        var output = new StringWriter();
        var screen = new LiveScreen(output, () => (100, 20), "process 1", TimeZoneInfo.Utc);
        await screen.WriteAsync(Interval(1795425600, s_series), CancellationToken.None);
        await screen.WriteAsync(Interval(1795425601, s_series), CancellationToken.None);
        await screen.DisposeAsync();
        string text = output.ToString();
        Assert.StartsWith("\e[?1049h\e[?25l\e[H", text);
        Assert.Equal(2, text.Split("\e[H").Length - 1);
        Assert.EndsWith("\e[J\e[?25h\e[?1049l", text);
        // Exactly one screenful per draw: never a line more than the terminal has, so nothing scrolls.
        foreach (var draw in text.Split("\e[H").Skip(1))
            Assert.Equal(19, draw.Split("\r\n").Length - 1);
        Assert.Contains("probe cost unknown", text);
    }

    [Fact]
    public async Task PausedTheScreenStaysAsItIs_WhileIntervalsGoOn()
    {
        var output = new StringWriter();
        var screen = new LiveScreen(output, () => (100, 20), "process 1", TimeZoneInfo.Utc);
        await screen.WriteAsync(Interval(1795425600, s_series), CancellationToken.None);
        screen.TogglePause();
        Assert.StartsWith("alloclat 09:20:00 PAUSED  up 0:01", screen.Render(100, 20)[0]);
        int length = output.ToString().Length;
        await screen.WriteAsync(Interval(1795425601, s_series), CancellationToken.None);
        Assert.Equal(length, output.ToString().Length);
        screen.TogglePause();
        Assert.StartsWith("alloclat 09:20:01", screen.Render(100, 20)[0]);
    }

    [Fact]
    public async Task ANarrowScreenShowsWholeColumnsAndAsManyRowsAsFit()
    {
        var many = Enumerable.Range(1, 50).Select(i => TestData.Series(i, "p" + i, "glibc", "malloc", "32K", Stats(i, i, i, i * 1000, i))).ToArray();
        var screen = new LiveScreen(TextWriter.Null, () => (60, 24), "process 1", TimeZoneInfo.Utc);
        await screen.WriteAsync(Interval(1795425600, many), CancellationToken.None);
        var lines = screen.Render(60, 24);
        Assert.Equal(24, lines.Count);
        Assert.All(lines, l => Assert.True(l.Length <= 60, l));
        Assert.Contains(lines, l => l.Contains("more series"));
        Assert.Equal("    PID COMM            ALLOCATOR  OP             SIZE", lines[3]);
    }
}
