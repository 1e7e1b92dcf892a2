using Microsoft.Extensions.Time.Testing;

namespace Tracer.TestSupport;

/// <summary>
/// Fake time that also records the due time of every timer created on it (a <c>Task.Delay</c>, a
/// <c>CancellationTokenSource</c> timeout), so a test can wait until the code under test waits for exactly the
/// delay it should, then move time to one tick before it (nothing may happen) and to it (the retry comes):
/// "retried after 3 s, never before", with no sleep.
/// </summary>
public sealed class FakeClock : FakeTimeProvider
{
    private readonly List<TimeSpan> _timers = [];

    public FakeClock()
        : base(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>Due times of the timers created so far, in order.</summary>
    public IReadOnlyList<TimeSpan> Timers
    {
        get { lock (_timers) return _timers.ToList(); }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        // Recorded once it exists: a test that sees the due time may move time on at once, and a timer made after
        // that move would be due a whole delay later than the code under test asked for.
        var timer = base.CreateTimer(callback, state, dueTime, period);
        lock (_timers)
            _timers.Add(dueTime);
        return timer;
    }

    /// <summary>Waits (in real time, bounded) until <paramref name="count"/> timers matching <paramref name="match"/> were created.</summary>
    public Task WaitForTimerAsync(Func<TimeSpan, bool> match, string what, int count = 1, TimeSpan? patience = null) =>
        Wait.UntilAsync(() => Timers.Count(match) >= count, patience ?? TimeSpan.FromSeconds(20),
            $"{what} (timers so far: {string.Join(", ", Timers.Select(t => t.TotalMilliseconds + " ms"))})", TimeSpan.FromMilliseconds(5));

    /// <summary>Waits until a timer of exactly <paramref name="dueTime"/> was created (the <paramref name="count"/>-th such).</summary>
    public Task WaitForTimerAsync(TimeSpan dueTime, int count = 1) =>
        WaitForTimerAsync(t => t == dueTime, $"a timer of {dueTime.TotalMilliseconds} ms", count);
}

/// <summary>Jitter that always draws its maximum, so a backoff delay is exactly its base.</summary>
public sealed class MaxJitter : Random
{
    public override double NextDouble() => 1.0;
}
