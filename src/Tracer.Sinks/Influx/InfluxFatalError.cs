namespace Tracer.Sinks;

/// <summary>Why the server refuses every write until the configuration is fixed.</summary>
public enum InfluxFatalKind
{
    /// <summary>401/403: wrong or missing credentials, or no write permission.</summary>
    Authentication,

    /// <summary>404 or a missing retention policy: the database, bucket or organisation does not exist.</summary>
    NotFound,

    /// <summary>A redirect or another answer that only a configuration change can fix.</summary>
    Configuration,

    /// <summary>The server's TLS certificate is not trusted (unknown CA, wrong host name, expired).</summary>
    Certificate,
}

/// <summary>
/// A configuration error the user must fix. While it lasts the points stay queued (oldest dropped past
/// capacity) and the writer retries only every <see cref="InfluxWriterOptions.FatalRetryDelay"/>.
/// </summary>
/// <param name="Kind">What kind of problem it is.</param>
/// <param name="StatusCode">HTTP status the server answered with.</param>
/// <param name="Message">One line, ready to print.</param>
public sealed record InfluxFatalError(InfluxFatalKind Kind, int StatusCode, string Message);
