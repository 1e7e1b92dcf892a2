namespace Tracer.Alerts;

/// <summary>Delivery settings of <see cref="AlertWebhook"/>.</summary>
public sealed record AlertWebhookOptions(Uri Url)
{
    /// <summary>Attempts per notification, the first included.</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>
    /// Base of the wait before the first retry; the base doubles after each failure up to <see cref="MaxDelay"/>,
    /// and each wait is drawn between half the base and the base (jitter).
    /// </summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound on a receiver's <c>Retry-After</c>.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Timeout of one request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Notifications waiting at most; the oldest is dropped beyond it.</summary>
    public int QueueCapacity { get; init; } = 1000;

    /// <summary>How long disposing waits for queued notifications before giving up on them.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
