using Tracer.TestSupport;

namespace Tracer.Sinks.Tests;

public class RateLimitedLogTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void SameKey_PrintsOncePerInterval_ThenReportsSuppressedCount()
    {
        var clock = new ManualClock();
        var output = new CapturingWriter();
        var log = new RateLimitedLog(output, TimeSpan.FromSeconds(30), clock, "influx: ");

        Assert.True(log.Write("down", "server down"));
        for (int i = 0; i < 5; i++)
        {
            clock.Now += TimeSpan.FromSeconds(1);
            Assert.False(log.Write("down", "server down"));
        }
        Assert.True(log.Write("other", "another problem"));
        clock.Now += TimeSpan.FromSeconds(30);
        Assert.True(log.Write("down", "server still down"));

        Assert.Equal(
        [
            "influx: server down",
            "influx: another problem",
            "influx: server still down (5 similar messages suppressed)",
        ], output.Lines);
    }

    [Fact]
    public void Messages_AreAlwaysOneLine()
    {
        var output = new CapturingWriter();
        var log = new RateLimitedLog(output, TimeSpan.FromSeconds(30), TimeProvider.System, "p: ");
        log.WriteAlways("first\nsecond\r\nthird");
        Assert.Equal(["p: first second third"], output.Lines);
    }

    [Fact]
    public void Reset_LetsTheNextMessagePrintAtOnce()
    {
        var output = new CapturingWriter();
        var log = new RateLimitedLog(output, TimeSpan.FromHours(1), new ManualClock(), "");
        log.Write("k", "a");
        log.Reset("k");
        log.Write("k", "b");
        Assert.Equal(["a", "b"], output.Lines);
    }
}
