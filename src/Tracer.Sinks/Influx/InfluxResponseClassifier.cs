namespace Tracer.Sinks;

/// <summary>What the sender does with a batch after one request.</summary>
internal enum InfluxDecisionKind
{
    /// <summary>Stored: count it sent.</summary>
    Delivered,

    /// <summary>Try again after a backoff (or the server's <c>Retry-After</c>); the batch stays queued.</summary>
    Retry,

    /// <summary>413: split the batch in halves (a single point is dropped).</summary>
    TooLarge,

    /// <summary>400/422 and other 4xx: the points the server names are dropped, never retried.</summary>
    Rejected,

    /// <summary>Only the user can fix it (credentials, missing database, redirect, untrusted certificate).</summary>
    Fatal,

    /// <summary>The shutdown deadline ended the request.</summary>
    Aborted,
}

/// <summary>The sender's next step, with the status and the server's message behind it.</summary>
internal sealed record InfluxDecision(InfluxDecisionKind Kind, int Status, string Message, TimeSpan? RetryAfter = null, InfluxFatalError? Fatal = null)
{
    public static readonly InfluxDecision Delivered = new(InfluxDecisionKind.Delivered, 204, "");
    public static readonly InfluxDecision Aborted = new(InfluxDecisionKind.Aborted, 0, "shutdown deadline reached");

    public static InfluxDecision Retry(string message, TimeSpan? retryAfter = null) => new(InfluxDecisionKind.Retry, 0, message, retryAfter);

    public static InfluxDecision FatalError(InfluxFatalError error) => new(InfluxDecisionKind.Fatal, error.StatusCode, error.Message, null, error);
}

/// <summary>
/// Turns a write's answer (status, message, headers) into the sender's decision, with the one line the user
/// sees. Pure: no I/O, no clock, the same answer always gives the same decision.
/// </summary>
internal static class InfluxResponseClassifier
{
    public static InfluxDecision Classify(InfluxWriteAnswer answer, InfluxWriterOptions options)
    {
        if (answer.Delivered)
            return InfluxDecision.Delivered;
        if (answer.Status == 0)
        {
            return answer.Certificate is { } certificate
                ? InfluxDecision.FatalError(new InfluxFatalError(InfluxFatalKind.Certificate, 0, $"InfluxDB at {options.Url}: {certificate}"))
                : InfluxDecision.Retry(answer.Message);
        }
        int status = answer.Status;
        string reason = answer.Reason ?? "";
        string message = answer.Message;
        string shown = InfluxServerMessage.OneLine(message);
        switch (status)
        {
            case 413:
                return new InfluxDecision(InfluxDecisionKind.TooLarge, status, message);
            case 401 or 403:
                string hint = options.Username is not null
                    ? "check the InfluxDB user name and password"
                    : "check ALLOCLAT_INFLUX_TOKEN / --influx-token-file";
                return InfluxDecision.FatalError(new InfluxFatalError(InfluxFatalKind.Authentication, status,
                    $"InfluxDB rejected the credentials ({status}): {shown}; {hint}"));
            case 404:
                return InfluxDecision.FatalError(new InfluxFatalError(InfluxFatalKind.NotFound, status, NotFoundMessage(options, status, shown)));
            case >= 300 and < 400:
                return InfluxDecision.FatalError(new InfluxFatalError(InfluxFatalKind.Configuration, status,
                    $"InfluxDB URL {options.Url} answered {status} {reason} (redirect to {answer.Location?.ToString() ?? "nowhere"}); use the final URL"));
            case 408 or 429 or >= 500:
                // InfluxDB 1.x reports a missing retention policy as 500; retrying cannot fix it.
                if (message.Contains("retention policy not found", StringComparison.OrdinalIgnoreCase))
                    return InfluxDecision.FatalError(new InfluxFatalError(InfluxFatalKind.NotFound, status, NotFoundMessage(options, status, shown)));
                return new InfluxDecision(InfluxDecisionKind.Retry, status, $"{status} {reason}: {shown}", answer.RetryAfter);
            case >= 400:
                return new InfluxDecision(InfluxDecisionKind.Rejected, status, message);
            default:
                return new InfluxDecision(InfluxDecisionKind.Retry, status, $"unexpected {status} {reason}: {shown}", answer.RetryAfter);
        }
    }

    /// <summary>A v1 "database not found" that creating the database could fix.</summary>
    public static bool IsMissingDatabase(InfluxDecision decision) =>
        decision.Fatal?.Kind == InfluxFatalKind.NotFound && decision.Message.Contains("database not found", StringComparison.OrdinalIgnoreCase);

    private static string NotFoundMessage(InfluxWriterOptions options, int status, string shown)
    {
        if (options.ApiVersion == InfluxApiVersion.V2)
            return $"InfluxDB has no bucket \"{options.Bucket}\" in org \"{options.Org}\" ({status}): {shown}; create it or fix the bucket/org name";
        if (shown.Contains("retention policy", StringComparison.OrdinalIgnoreCase))
            return $"InfluxDB database \"{options.Database}\" has no retention policy \"{options.RetentionPolicy}\" ({status}): {shown}; create it or fix the retention policy name";
        return $"InfluxDB database \"{options.Database}\" not found ({status}): {shown}; create it (CREATE DATABASE \"{options.Database}\") or fix the database name";
    }
}
