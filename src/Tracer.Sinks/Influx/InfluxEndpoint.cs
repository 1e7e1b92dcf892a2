using System.Net.Http.Headers;
using System.Text;

namespace Tracer.Sinks;

/// <summary>
/// Where requests go and how they authenticate: the write, ping and query URLs under the server's base URL (a
/// reverse-proxy path prefix is kept) and the <c>Authorization</c> header (basic for an InfluxDB 1.x user,
/// <c>Token</c> otherwise). Secrets stay in the header value, never in a URL.
/// </summary>
internal sealed class InfluxEndpoint
{
    public InfluxEndpoint(InfluxWriterOptions options)
    {
        var baseText = options.Url.GetLeftPart(UriPartial.Path);
        Base = new Uri(baseText.EndsWith('/') ? baseText : baseText + "/");
        Write = options.ApiVersion == InfluxApiVersion.V1
            ? new Uri(Base, "write?db=" + Uri.EscapeDataString(options.Database!)
                + (options.RetentionPolicy is null ? "" : "&rp=" + Uri.EscapeDataString(options.RetentionPolicy))
                + "&precision=ns")
            : new Uri(Base, "api/v2/write?org=" + Uri.EscapeDataString(options.Org!)
                + "&bucket=" + Uri.EscapeDataString(options.Bucket!) + "&precision=ns");
        Ping = new Uri(Base, "ping");
        Query = new Uri(Base, "query");
        Authorization = BuildAuthorization(options);
    }

    /// <summary>The server's base URL, ending in a slash.</summary>
    public Uri Base { get; }

    /// <summary><c>/write?db=</c> (v1) or <c>/api/v2/write?org=&amp;bucket=</c> (v2), nanosecond precision.</summary>
    public Uri Write { get; }

    public Uri Ping { get; }

    /// <summary>InfluxQL endpoint (v1: <c>CREATE DATABASE</c>).</summary>
    public Uri Query { get; }

    public AuthenticationHeaderValue? Authorization { get; }

    private static AuthenticationHeaderValue? BuildAuthorization(InfluxWriterOptions options)
    {
        if (options.ApiVersion == InfluxApiVersion.V1 && options.Username is not null)
        {
            var raw = Encoding.UTF8.GetBytes($"{options.Username}:{options.Password}");
            return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(raw));
        }
        return string.IsNullOrEmpty(options.Token) ? null : new AuthenticationHeaderValue("Token", options.Token);
    }
}
