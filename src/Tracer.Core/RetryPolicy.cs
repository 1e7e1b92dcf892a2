using System.Globalization;

namespace Tracer.Core;

/// <summary>
/// When to try a failed delivery again: exponential backoff with jitter between <see cref="Initial"/> and
/// <see cref="Max"/>, or what the server asked for in <c>Retry-After</c> (bounded by <see cref="MaxRetryAfter"/>),
/// with waits on an injected <see cref="TimeProvider"/> so that tests run on fake time. Every sender of the
/// product (InfluxDB writer, alert webhook) uses this one policy.
/// </summary>
public sealed class RetryPolicy
{
    private readonly Random _random;

    /// <param name="initial">Base of the first retry's delay; it doubles per consecutive failure.</param>
    /// <param name="max">Cap on the base delay.</param>
    /// <param name="maxRetryAfter">Cap on a server's <c>Retry-After</c>, so a bogus header cannot stall a sender for days.</param>
    /// <param name="time">Clock and timers; <see cref="TimeProvider.System"/> unless a test fakes it.</param>
    /// <param name="random">Jitter source; <see cref="Random.Shared"/> unless a test seeds one.</param>
    public RetryPolicy(TimeSpan initial, TimeSpan max, TimeSpan maxRetryAfter, TimeProvider? time = null, Random? random = null)
    {
        if (initial <= TimeSpan.Zero || max < initial || maxRetryAfter < TimeSpan.Zero)
            throw new ArgumentException("retry delays must be positive, the cap at least the initial delay");
        Initial = initial;
        Max = max;
        MaxRetryAfter = maxRetryAfter;
        Time = time ?? TimeProvider.System;
        _random = random ?? Random.Shared;
    }

    public TimeSpan Initial { get; }

    public TimeSpan Max { get; }

    public TimeSpan MaxRetryAfter { get; }

    public TimeProvider Time { get; }

    /// <summary>
    /// Delay before attempt <paramref name="failures"/> + 1: the server's <paramref name="retryAfter"/> when it
    /// gave a positive one (capped), else <see cref="Backoff"/>.
    /// </summary>
    public TimeSpan NextDelay(int failures, TimeSpan? retryAfter = null)
    {
        if (retryAfter is { } ra && ra > TimeSpan.Zero)
            return ra < MaxRetryAfter ? ra : MaxRetryAfter;
        lock (_random)
            return Backoff(failures, Initial, Max, _random);
    }

    /// <summary>Waits <paramref name="delay"/> on <see cref="Time"/>; false if <paramref name="cancellationToken"/> ended the wait first.</summary>
    public async Task<bool> WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, Time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Parses a <c>Retry-After</c> value against <see cref="Time"/>'s clock.</summary>
    public bool TryParseRetryAfter(string? value, out TimeSpan delay) => TryParseRetryAfter(value, Time.GetUtcNow(), out delay);

    /// <summary>
    /// Delay before attempt number <paramref name="failures"/> + 1: the base doubles per failure up to
    /// <paramref name="max"/>, and the result is drawn from [base/2, base] so that many senders restarted
    /// together do not hit the server in lockstep.
    /// </summary>
    public static TimeSpan Backoff(int failures, TimeSpan initial, TimeSpan max, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (failures < 1)
            failures = 1;
        double baseMs = initial.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        baseMs = Math.Min(baseMs, max.TotalMilliseconds);
        double ms = baseMs / 2 + random.NextDouble() * baseMs / 2;
        return TimeSpan.FromMilliseconds(ms);
    }

    /// <summary>
    /// Parses a <c>Retry-After</c> header value: delta-seconds or an HTTP date (RFC 9110). A date in the past
    /// gives zero. Returns false for anything else.
    /// </summary>
    public static bool TryParseRetryAfter(string? value, DateTimeOffset now, out TimeSpan delay)
    {
        delay = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(value))
            return false;
        var text = value.Trim();
        if (text.All(char.IsAsciiDigit))
        {
            // Absurdly large values still mean "a long time"; the caller bounds it.
            delay = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds) && seconds < int.MaxValue
                ? TimeSpan.FromSeconds(seconds)
                : TimeSpan.FromSeconds(int.MaxValue);
            return true;
        }
        string[] formats =
        [
            "r",                                  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            "dddd, dd-MMM-yy HH:mm:ss 'GMT'",     // obsolete RFC 850
            "ddd MMM d HH:mm:ss yyyy",            // obsolete asctime
        ];
        if (DateTimeOffset.TryParseExact(text, formats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var date))
        {
            var d = date - now;
            delay = d > TimeSpan.Zero ? d : TimeSpan.Zero;
            return true;
        }
        return false;
    }
}
