using System.Net;
using System.Text;
using InfluxDB.Client;
using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Core.Exceptions;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// The InfluxDB 2.x/3.x write path through the official client (InfluxDB.Client): one
/// <c>WriteApiAsync</c> request per batch, gzip on, over the writer's own HTTP handler (its timeouts, TLS and no
/// redirects). Queueing, retries, 413 splitting and drop accounting stay in <see cref="InfluxWriter"/>; the
/// client's batching <c>WriteApi</c> (unbounded buffer) is not used.
/// </summary>
/// <remarks>
/// The client reports an HTTP error as an <see cref="HttpException"/> with <c>Status</c>, <c>Headers</c> and
/// <c>RetryAfter</c> (delta-seconds only) and a network error as status 0. A <c>Retry-After</c> holding an HTTP date
/// makes the client fail while building that exception (<see cref="FormatException"/>); the answer then comes from
/// the response as <see cref="ResponseObserver"/> saw it, with the date honoured.
/// </remarks>
internal sealed class InfluxClientTransport : IInfluxTransport
{
    private readonly InfluxWriterOptions _options;
    private readonly InfluxConnection _connection;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly InfluxDBClient _client;
    private readonly WriteApiAsync _write;

    public InfluxClientTransport(InfluxWriterOptions options, InfluxConnection connection, TimeProvider time)
    {
        _options = options;
        _connection = connection;
        _time = time;
        _http = new HttpClient(new ResponseObserver(connection.Handler), disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("alloclat");
        var clientOptions = new InfluxDBClientOptions(options.Url.ToString())
        {
            Token = options.Token ?? "",
            Org = options.Org,
            Bucket = options.Bucket,
            Timeout = options.RequestTimeout,
            AllowHttpRedirects = false,
            HttpClient = _http,
        };
        _client = new InfluxDBClient(clientOptions);
        _client.EnableGzip();
        _write = _client.GetWriteApiAsync();
    }

    public async Task<InfluxWriteAnswer> WriteAsync(IReadOnlyList<byte[]> batch, int start, int count, CancellationToken cancellationToken)
    {
        var records = new string[count];
        for (int i = 0; i < count; i++)
        {
            var line = batch[start + i];
            records[i] = Encoding.UTF8.GetString(line, 0, line.Length > 0 && line[^1] == (byte)'\n' ? line.Length - 1 : line.Length);
        }
        return await SendAsync(ct => _write.WriteRecordsAsync(records, WritePrecision.Ns, _options.Bucket, _options.Org, ct), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// InfluxDB 2.x preflight: an empty write. The server resolves the org, then the bucket, then checks that the
    /// token may write there, and only then finds the body empty: 400 "writing requires points" means all three
    /// hold; 401, 403 and 404 say which does not. Nothing is stored.
    /// </summary>
    public async Task<InfluxWriteAnswer> PreflightAsync(CancellationToken cancellationToken) =>
        await SendAsync(ct => _write.WriteRecordsAsyncWithIRestResponse([], WritePrecision.Ns, _options.Bucket, _options.Org, ct), cancellationToken)
            .ConfigureAwait(false);

    private async Task<InfluxWriteAnswer> SendAsync(Func<CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        var seen = new ObservedResponse();
        ResponseObserver.Current.Value = seen;
        try
        {
            await send(cancellationToken).ConfigureAwait(false);
            return new InfluxWriteAnswer(seen.Status is > 0 and var s ? s : 204, seen.Reason, "", null, null);
        }
        catch (HttpException e) when (e.Status == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return _connection.NoAnswer(e.InnerException ?? e);
        }
        catch (HttpException e)
        {
            TimeSpan? retryAfter = e.RetryAfter is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
            string? header = HeaderValue(e, "Retry-After") ?? seen.RetryAfter;
            if (retryAfter is null && RetryPolicy.TryParseRetryAfter(header, _time.GetUtcNow(), out var parsed))
                retryAfter = parsed;
            var location = HeaderValue(e, "Location") ?? seen.Location?.ToString();
            return new InfluxWriteAnswer(e.Status, seen.Reason, string.IsNullOrWhiteSpace(e.Message) ? seen.Body ?? "" : e.Message,
                retryAfter, location is null ? null : new Uri(location, UriKind.RelativeOrAbsolute));
        }
        catch (Exception e) when (e is FormatException or OverflowException && seen.Status > 0)
        {
            // The client could not read a Retry-After that is an HTTP date: answer from the response itself.
            TimeSpan? retryAfter = RetryPolicy.TryParseRetryAfter(seen.RetryAfter, _time.GetUtcNow(), out var parsed) ? parsed : null;
            return new InfluxWriteAnswer(seen.Status, seen.Reason, InfluxServerMessage.Extract(seen.Body ?? "", null, seen.Reason), retryAfter, seen.Location);
        }
        catch (HttpRequestException e)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return _connection.NoAnswer(e);
        }
    }

    private static string? HeaderValue(HttpException e, string name) =>
        e.Headers?.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase))?.Value?.ToString();

    public void Dispose()
    {
        _client.Dispose();
        _http.Dispose();
    }

    /// <summary>The last response of one write, as it came off the wire.</summary>
    private sealed class ObservedResponse
    {
        public int Status;
        public string? Reason;
        public string? RetryAfter;
        public Uri? Location;
        public string? Body;
    }

    /// <summary>Notes each response's status, reason, Retry-After, Location and (for errors) body for the write that sent it.</summary>
    private sealed class ResponseObserver(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public static readonly AsyncLocal<ObservedResponse?> Current = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (Current.Value is { } seen)
            {
                seen.Status = (int)response.StatusCode;
                seen.Reason = response.ReasonPhrase;
                seen.RetryAfter = response.Headers.TryGetValues("Retry-After", out var ra) ? ra.FirstOrDefault() : null;
                seen.Location = response.Headers.Location;
                if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotModified)
                {
                    await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
                    seen.Body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            return response;
        }
    }
}
