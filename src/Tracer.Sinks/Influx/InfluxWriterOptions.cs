using System.Text;

namespace Tracer.Sinks;

/// <summary>Which write API the server speaks.</summary>
public enum InfluxApiVersion
{
    /// <summary>InfluxDB 1.x <c>/write?db=</c> (also VictoriaMetrics, InfluxDB 2.x compatibility API).</summary>
    V1 = 1,

    /// <summary>InfluxDB 2.x <c>/api/v2/write?org=&amp;bucket=</c> (also VictoriaMetrics).</summary>
    V2 = 2,
}

/// <summary>
/// Where and how <see cref="InfluxWriter"/> writes. Build one with <see cref="ForV1"/> or <see cref="ForV2"/> and
/// adjust the tuning properties with <c>with</c>. Secrets (password, token) are never printed by
/// <see cref="ToString"/>.
/// </summary>
public sealed record InfluxWriterOptions
{
    /// <summary>Base URL of the server, e.g. <c>http://localhost:8086</c>; a path prefix (reverse proxy) is kept.</summary>
    public required Uri Url { get; init; }

    public InfluxApiVersion ApiVersion { get; init; } = InfluxApiVersion.V1;

    /// <summary>v1: database to write to.</summary>
    public string? Database { get; init; }

    /// <summary>v1: retention policy (<c>rp=</c>); the database default when null.</summary>
    public string? RetentionPolicy { get; init; }

    /// <summary>v1: user name for HTTP basic authentication.</summary>
    public string? Username { get; init; }

    /// <summary>v1: password for HTTP basic authentication.</summary>
    public string? Password { get; init; }

    /// <summary>v2: organisation name.</summary>
    public string? Org { get; init; }

    /// <summary>v2: bucket name.</summary>
    public string? Bucket { get; init; }

    /// <summary>API token, sent as <c>Authorization: Token ...</c> (v2; also v1 when no user name is set).</summary>
    public string? Token { get; init; }

    /// <summary>Most lines per request (InfluxData recommends 5000).</summary>
    public int BatchSize { get; init; } = 5000;

    /// <summary>Most lines held while the server is slow or away; the oldest are dropped beyond it.</summary>
    public int QueueCapacity { get; init; } = 100_000;

    /// <summary>
    /// How long <see cref="InfluxWriter.DisposeAsync"/> keeps trying to send what is queued: the bound on the
    /// delay a slow or hung server can add to exit, whatever is in flight.
    /// </summary>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// PEM file of the CA (or CAs) that signed the server's certificate, trusted besides the system's CAs; null:
    /// the system's only.
    /// </summary>
    public string? CaFile { get; init; }

    /// <summary>Time limit of one HTTP request, from connect to the end of the response headers.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First retry delay; doubles per consecutive failure up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan InitialRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound on a server's <c>Retry-After</c>, so a bogus header cannot stall the writer for days.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Wait before trying again after a configuration error (bad credentials, missing database).</summary>
    public TimeSpan FatalRetryDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The same log message is printed at most once per this interval.</summary>
    public TimeSpan LogInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>v1: on <see cref="InfluxWriter.PingAsync"/> against InfluxDB 1.x, create the database if missing.</summary>
    public bool CreateDatabase { get; init; } = true;

    /// <summary>Options for the v1 API (InfluxDB 1.x, or VictoriaMetrics' <c>/write</c>).</summary>
    public static InfluxWriterOptions ForV1(Uri url, string database, string? username = null, string? password = null,
        string? retentionPolicy = null) => new()
    {
        Url = url,
        ApiVersion = InfluxApiVersion.V1,
        Database = database,
        Username = username,
        Password = password,
        RetentionPolicy = retentionPolicy,
    };

    /// <summary>Options for the v2 API (InfluxDB 2.x, or VictoriaMetrics' <c>/api/v2/write</c>).</summary>
    public static InfluxWriterOptions ForV2(Uri url, string org, string bucket, string? token) => new()
    {
        Url = url,
        ApiVersion = InfluxApiVersion.V2,
        Org = org,
        Bucket = bucket,
        Token = token,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first missing or invalid setting.</summary>
    public void Validate()
    {
        if (Url is null || !Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttp && Url.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"InfluxDB URL must be an absolute http:// or https:// URL, not '{Url}'");
        if (!string.IsNullOrEmpty(Url.UserInfo))
            throw new ArgumentException("InfluxDB URL must not carry credentials; pass them as user name/password or token");
        switch (ApiVersion)
        {
            case InfluxApiVersion.V1:
                if (string.IsNullOrWhiteSpace(Database))
                    throw new ArgumentException("InfluxDB v1 API needs a database name");
                break;
            case InfluxApiVersion.V2:
                if (string.IsNullOrWhiteSpace(Org))
                    throw new ArgumentException("InfluxDB v2 API needs an organisation (org)");
                if (string.IsNullOrWhiteSpace(Bucket))
                    throw new ArgumentException("InfluxDB v2 API needs a bucket");
                break;
            default:
                throw new ArgumentException($"unknown InfluxDB API version {ApiVersion}");
        }
        if (BatchSize < 1)
            throw new ArgumentException("InfluxDB batch size must be at least 1");
        if (QueueCapacity < 1)
            throw new ArgumentException("InfluxDB queue capacity must be at least 1");
        if (FlushTimeout < TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero || InitialRetryDelay <= TimeSpan.Zero
            || MaxRetryDelay < InitialRetryDelay || MaxRetryAfter < TimeSpan.Zero || FatalRetryDelay <= TimeSpan.Zero)
            throw new ArgumentException("InfluxDB timeouts and retry delays must be positive (and max retry delay at least the initial one)");
        if (CaFile is not null)
            InfluxCertificateTrust.Load(CaFile);
    }

    /// <summary>Where points go, for messages: <c>http://host:8086 db=alloclat</c>; no secrets.</summary>
    public string Target => ApiVersion == InfluxApiVersion.V1
        ? $"{Url} db={Database}{(RetentionPolicy is null ? "" : $" rp={RetentionPolicy}")}"
        : $"{Url} org={Org} bucket={Bucket}";

    public override string ToString()
    {
        var sb = new StringBuilder("InfluxWriterOptions { ");
        sb.Append(Target).Append(", api ").Append(ApiVersion);
        if (Username is not null)
            sb.Append(", user ").Append(Username);
        if (Password is not null)
            sb.Append(", password set");
        if (Token is not null)
            sb.Append(", token set");
        if (CaFile is not null)
            sb.Append(", CA ").Append(CaFile);
        sb.Append(", batch ").Append(BatchSize).Append(", queue ").Append(QueueCapacity).Append(" }");
        return sb.ToString();
    }
}
