using Tracer.Core;

namespace Tracer.Core.Tests;

public class RetryPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("0", 0)]
    [InlineData("1", 1)]
    [InlineData(" 120 ", 120)]
    [InlineData("Mon, 23 Nov 2026 09:00:30 GMT", 30)]
    [InlineData("Monday, 23-Nov-26 09:01:00 GMT", 60)]
    [InlineData("Mon Nov 23 09:00:05 2026", 5)]
    [InlineData("Mon, 23 Nov 2026 08:59:00 GMT", 0)]
    public void RetryAfter_ParsesSecondsAndHttpDates(string header, int expectedSeconds)
    {
        Assert.True(RetryPolicy.TryParseRetryAfter(header, Now, out var delay));
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), delay);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5")]
    public void RetryAfter_RejectsGarbage(string? header)
    {
        Assert.False(RetryPolicy.TryParseRetryAfter(header, Now, out _));
    }

    [Fact]
    public void RetryAfter_HugeValueIsBoundedNotOverflowed()
    {
        Assert.True(RetryPolicy.TryParseRetryAfter("99999999999999999999999", Now, out var delay));
        Assert.Equal(TimeSpan.FromSeconds(int.MaxValue), delay);
    }

    [Fact]
    public void Backoff_DoublesWithJitter_AndStaysUnderTheCap()
    {
        var random = new Random(42);
        var initial = TimeSpan.FromSeconds(1);
        var max = TimeSpan.FromSeconds(30);
        for (int failures = 1; failures <= 40; failures++)
        {
            double expectedBase = Math.Min(Math.Pow(2, failures - 1), 30);
            for (int i = 0; i < 50; i++)
            {
                var d = RetryPolicy.Backoff(failures, initial, max, random);
                Assert.InRange(d.TotalSeconds, expectedBase / 2, expectedBase);
            }
        }
    }

    [Fact]
    public void Backoff_IsJittered()
    {
        var random = new Random(7);
        var delays = Enumerable.Range(0, 20).Select(_ => RetryPolicy.Backoff(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), random)).Distinct().Count();
        Assert.True(delays > 10, $"only {delays} distinct delays out of 20");
    }

    [Fact]
    public void NextDelay_TakesTheServersRetryAfter_CappedAtItsBound()
    {
        var policy = new RetryPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), random: new Random(1));
        Assert.Equal(TimeSpan.FromSeconds(7), policy.NextDelay(3, TimeSpan.FromSeconds(7)));
        Assert.Equal(TimeSpan.FromMinutes(5), policy.NextDelay(1, TimeSpan.FromDays(3)));
        // No (or a zero) Retry-After: the jittered backoff for that many failures.
        Assert.InRange(policy.NextDelay(3, TimeSpan.Zero).TotalSeconds, 2, 4);
        Assert.InRange(policy.NextDelay(3).TotalSeconds, 2, 4);
    }

    [Fact]
    public void RetryAfter_DatesAreReadAgainstThePolicysClock()
    {
        var clock = new FixedClock(Now);
        var policy = new RetryPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), clock);
        Assert.True(policy.TryParseRetryAfter("Mon, 23 Nov 2026 09:00:42 GMT", out var delay));
        Assert.Equal(TimeSpan.FromSeconds(42), delay);
    }

    [Fact]
    public void Policy_RefusesDelaysThatCannotWork()
    {
        Assert.Throws<ArgumentException>(() => new RetryPolicy(TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.Zero));
        Assert.Throws<ArgumentException>(() => new RetryPolicy(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), TimeSpan.Zero));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
