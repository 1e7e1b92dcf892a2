using System.Net;
using System.Net.Security;

namespace Tracer.Sinks;

/// <summary>
/// The HTTP connection both transports share: connect and idle timeouts, no redirects (a redirected POST may lose
/// its body or method; it is reported as a configuration error instead), decompression, and the certificate
/// trust of <see cref="InfluxCertificateTrust"/>.
/// </summary>
internal sealed class InfluxConnection : IDisposable
{
    public InfluxConnection(InfluxWriterOptions options)
    {
        Trust = new InfluxCertificateTrust(options.CaFile, options.Url);
        Handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.RequestTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.All,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Trust.Validate },
        };
        Http = new HttpClient(Handler) { Timeout = Timeout.InfiniteTimeSpan };
        Http.DefaultRequestHeaders.UserAgent.ParseAdd("alloclat");
    }

    public InfluxCertificateTrust Trust { get; }

    public SocketsHttpHandler Handler { get; }

    /// <summary>A client over <see cref="Handler"/> without a timeout of its own: each request brings its own.</summary>
    public HttpClient Http { get; }

    /// <summary>
    /// The answer for a request that got no HTTP answer: status 0, the error in words, and for a refused TLS
    /// certificate, <see cref="InfluxWriteAnswer.Certificate"/>.
    /// </summary>
    public InfluxWriteAnswer NoAnswer(Exception e)
    {
        string? certificate = null;
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is System.Security.Authentication.AuthenticationException)
            {
                certificate = Trust.LastFailure ?? ExceptionText.Describe(x);
                break;
            }
        }
        return new InfluxWriteAnswer(0, null, ExceptionText.Describe(e), null, null) { Certificate = certificate };
    }

    public void Dispose() => Http.Dispose();
}
