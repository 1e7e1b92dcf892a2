using System.Globalization;

namespace Tracer.Sinks;

/// <summary>Delays between write attempts: exponential backoff with jitter, or what the server asked for.</summary>
internal static class RetryPolicy
{
    /// <summary>
    /// Delay before attempt number <paramref name="failures"/> + 1: the base doubles per failure up to
    /// <paramref name="max"/>, and the result is drawn from [base/2, base] so that many writers restarted
    /// together do not hit the server in lockstep.
    /// </summary>
    public static TimeSpan Backoff(int failures, TimeSpan initial, TimeSpan max, Random random)
    {
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
