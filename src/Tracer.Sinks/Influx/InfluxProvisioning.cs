using System.Text.Json;

namespace Tracer.Sinks;

/// <summary>
/// Start-up against the server: <c>GET /ping</c> (any HTTP answer, 404 included, means reachable); against
/// InfluxDB 1.x with the v1 API, <c>CREATE DATABASE</c> (idempotent) so that a fresh server works the first time;
/// against InfluxDB 2.x, the write check of <see cref="InfluxPreflight"/>. Network problems are results, never
/// exceptions: an unreachable server is a warning and points queue until it answers.
/// </summary>
internal sealed class InfluxProvisioning(InfluxWriterOptions options, InfluxConnection connection, InfluxEndpoint endpoint, InfluxClientTransport? client)
{
    public async Task<InfluxPingResult> PingAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, endpoint.Ping);
            response = await connection.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            if (e is HttpRequestException && connection.NoAnswer(e) is { Certificate: { } certificate })
            {
                var fatal = new InfluxFatalError(InfluxFatalKind.Certificate, 0, $"InfluxDB at {options.Url}: {certificate}");
                return new InfluxPingResult(false, false, null, null, false, fatal.Message) { Fatal = fatal };
            }
            string why = e is OperationCanceledException ? $"no answer within {Seconds(options.RequestTimeout)}" : ExceptionText.Describe(e);
            return new InfluxPingResult(false, false, null, null, false,
                $"cannot reach InfluxDB at {options.Url}: {why}; tracing continues, up to {options.QueueCapacity} points are kept and sent once it answers");
        }

        using (response)
        {
            int status = (int)response.StatusCode;
            string? version = response.Headers.TryGetValues("X-Influxdb-Version", out var v) ? v.FirstOrDefault() : null;
            string server = version is null ? "server" : $"InfluxDB {version}";
            if (!(response.IsSuccessStatusCode || status == 404))
            {
                return new InfluxPingResult(true, false, status, version, false,
                    $"{server} at {options.Url} answered /ping with {status} {response.ReasonPhrase}; writes will be retried");
            }
            if (options.ApiVersion == InfluxApiVersion.V1 && options.CreateDatabase && version is not null && version.StartsWith("1.", StringComparison.Ordinal))
                return await EnsureDatabaseAsync(status, version, cancellationToken).ConfigureAwait(false);
            if (client is not null && InfluxPreflight.IsInfluxDb2(version))
                return await InfluxPreflight.RunAsync(client, options, status, version!, cancellationToken).ConfigureAwait(false);
            return new InfluxPingResult(true, true, status, version, false, $"{server} at {options.Target} is reachable");
        }
    }

    /// <summary><c>CREATE DATABASE</c> with the name quoted; the result says whether the database is ready.</summary>
    public async Task<InfluxPingResult> EnsureDatabaseAsync(int pingStatus, string version, CancellationToken cancellationToken)
    {
        string db = options.Database!;
        string statement = $"CREATE DATABASE \"{db.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Query)
            {
                Content = new FormUrlEncodedContent([new KeyValuePair<string, string>("q", statement)]),
            };
            request.Headers.Authorization = endpoint.Authorization;
            using var response = await connection.Http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            string body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            string? error = response.IsSuccessStatusCode ? QueryError(body) : InfluxServerMessage.Extract(body, response.Headers, response.ReasonPhrase);
            if (error is null)
                return new InfluxPingResult(true, true, pingStatus, version, true, $"InfluxDB {version} at {options.Url} is reachable; database \"{db}\" is ready");
            return new InfluxPingResult(true, false, pingStatus, version, false,
                $"InfluxDB {version} at {options.Url} is reachable but creating database \"{db}\" failed ({(int)response.StatusCode}): "
                + $"{InfluxServerMessage.OneLine(error)}; writes fail until it exists");
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new InfluxPingResult(true, false, pingStatus, version, false,
                $"InfluxDB {version} at {options.Url} answered /ping but creating database \"{db}\" failed: {ExceptionText.Describe(e)}");
        }
    }

    private static string? QueryError(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.TryGetProperty("error", out var e))
                return e.GetString();
            if (root.TryGetProperty("results", out var results))
                foreach (var r in results.EnumerateArray())
                    if (r.TryGetProperty("error", out var re))
                        return re.GetString();
            return null;
        }
        catch (JsonException)
        {
            return $"unexpected answer: {body}";
        }
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.0#} s";
}
