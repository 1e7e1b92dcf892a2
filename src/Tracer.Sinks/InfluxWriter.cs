using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Tracer.Sinks;

/// <summary>
/// Sends line protocol to InfluxDB (v1 or v2 write API; VictoriaMetrics speaks both) from a background task.
/// <see cref="Write(ReadOnlySpan{byte})"/> only queues: tracing goes on while the database is slow or down.
/// </summary>
/// <remarks>
/// Lines wait in a bounded queue (<see cref="InfluxWriterOptions.QueueCapacity"/>, oldest dropped first) and
/// leave in gzip-compressed batches of at most <see cref="InfluxWriterOptions.BatchSize"/>. Connection errors,
/// timeouts, 408, 429 and 5xx are retried with exponential backoff and jitter, honouring <c>Retry-After</c>;
/// the batch goes back to the front of the queue meanwhile, so capacity bounds the memory however long the
/// outage. A retried batch the server had in fact stored is harmless: a point with the same series and
/// timestamp overwrites itself. 413 splits the batch in halves; 400/422 drop it (the server's message is
/// logged); 401/403/404 enter <see cref="FatalError"/>, keep the points and retry rarely.
/// </remarks>
public sealed class InfluxWriter : IAsyncDisposable
{
    private const string LogPrefix = "influx: ";

    private readonly InfluxWriterOptions _options;
    private readonly RateLimitedLog _log;
    private readonly LineQueue _queue;
    private readonly HttpClient _http;
    private readonly InfluxClientTransport? _client;
    private readonly Uri _baseUri;
    private readonly Uri _writeUri;
    private readonly AuthenticationHeaderValue? _auth;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _draining = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly Task _sender;

    private long _pendingDropped;
    private long _totalDropped;
    private long _sent;
    private long _inFlightLines;
    private int _busy;
    private int _batchLimit;
    private int _disposed;
    private long _unsentAtShutdown = -1;
    private volatile InfluxFatalError? _fatal;
    private bool _createAttempted;
    private volatile string? _lastFailure;

    /// <summary>Validates <paramref name="options"/> and starts the sender. Log lines go to <paramref name="log"/>.</summary>
    public InfluxWriter(InfluxWriterOptions options, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        options.Validate();
        _options = options;
        _log = new RateLimitedLog(log, options.LogInterval, TimeProvider.System, LogPrefix);
        _queue = new LineQueue(options.QueueCapacity);
        _batchLimit = options.BatchSize;

        var baseText = options.Url.GetLeftPart(UriPartial.Path);
        _baseUri = new Uri(baseText.EndsWith('/') ? baseText : baseText + "/");
        _writeUri = options.ApiVersion == InfluxApiVersion.V1
            ? new Uri(_baseUri, "write?db=" + Uri.EscapeDataString(options.Database!)
                + (options.RetentionPolicy is null ? "" : "&rp=" + Uri.EscapeDataString(options.RetentionPolicy))
                + "&precision=ns")
            : new Uri(_baseUri, "api/v2/write?org=" + Uri.EscapeDataString(options.Org!)
                + "&bucket=" + Uri.EscapeDataString(options.Bucket!) + "&precision=ns");
        _auth = BuildAuth(options);

        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.RequestTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            // A redirected POST may lose its body or method; surface it as a configuration error instead.
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.All,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("alloclat");
        // InfluxDB 2.x/3.x: the official client carries each batch, over the same handler.
        _client = options.ApiVersion == InfluxApiVersion.V2 ? new InfluxClientTransport(options, handler) : null;

        _sender = Task.Run(RunSenderAsync);
    }

    public InfluxWriterOptions Options => _options;

    /// <summary>Set while the server refuses writes for a reason only the user can fix; null otherwise.</summary>
    public InfluxFatalError? FatalError => _fatal;

    /// <summary>Raised (on the sender task) each time the writer enters a new fatal state.</summary>
    public event EventHandler<InfluxFatalError>? FatalErrorRaised;

    /// <summary>Lines waiting or being sent (approximate while a batch is being taken).</summary>
    public long QueuedLines => _queue.Count + Interlocked.Read(ref _inFlightLines);

    /// <summary>Lines the server accepted.</summary>
    public long SentLines => Interlocked.Read(ref _sent);

    /// <summary>Lines dropped so far: queue overflow, or rejected by the server.</summary>
    public long DroppedLines => Interlocked.Read(ref _totalDropped);

    /// <summary>After <see cref="DisposeAsync"/>: lines that could not be sent before the flush deadline.</summary>
    public long? UnsentAtShutdown => Interlocked.Read(ref _unsentAtShutdown) is var n && n >= 0 ? n : null;

    /// <summary>Lines dropped since the previous call (for <c>alloclat_stats.sink_dropped</c>).</summary>
    public long TakeDropped() => Interlocked.Exchange(ref _pendingDropped, 0);

    /// <summary>Queues newline-separated line protocol. Never waits for the network.</summary>
    public void Write(ReadOnlySpan<byte> lineProtocol)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var lines = new List<byte[]>();
        while (!lineProtocol.IsEmpty)
        {
            int nl = lineProtocol.IndexOf((byte)'\n');
            var line = nl < 0 ? lineProtocol : lineProtocol[..nl];
            lineProtocol = nl < 0 ? default : lineProtocol[(nl + 1)..];
            if (line.IsEmpty)
                continue;
            var bytes = new byte[line.Length + 1];
            line.CopyTo(bytes);
            bytes[^1] = (byte)'\n';
            lines.Add(bytes);
        }
        if (lines.Count == 0)
            return;
        int dropped = _queue.Enqueue(lines);
        if (dropped > 0)
            CountOverflow(dropped);
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
            }
        }
    }

    /// <inheritdoc cref="Write(ReadOnlySpan{byte})"/>
    public void Write(string lineProtocol) => Write(Encoding.UTF8.GetBytes(lineProtocol));

    /// <summary>Waits until everything queued so far has been sent (or dropped); false on timeout.</summary>
    public async Task<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_queue.Count == 0 && Volatile.Read(ref _busy) == 0)
                return true;
            if (clock.Elapsed >= timeout || _sender.IsCompleted)
                return false;
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Startup check: <c>GET /ping</c> (any HTTP answer, 404 included, means reachable). Against InfluxDB 1.x with
    /// the v1 API it also creates the database if missing, so a fresh server works the first time. Never throws
    /// for network problems: an unreachable server is a warning, points are queued until it answers.
    /// </summary>
    public async Task<InfluxPingResult> PingAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_baseUri, "ping"));
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            string why = e is OperationCanceledException ? $"no answer within {Seconds(_options.RequestTimeout)}" : ExceptionText.Describe(e);
            return new InfluxPingResult(false, false, null, null, false,
                $"cannot reach InfluxDB at {_options.Url}: {why}; tracing continues, up to {_options.QueueCapacity} points are kept and sent once it answers");
        }

        using (response)
        {
            int status = (int)response.StatusCode;
            string? version = response.Headers.TryGetValues("X-Influxdb-Version", out var v) ? v.FirstOrDefault() : null;
            string server = version is null ? "server" : $"InfluxDB {version}";
            if (!(response.IsSuccessStatusCode || status == 404))
            {
                return new InfluxPingResult(true, false, status, version, false,
                    $"{server} at {_options.Url} answered /ping with {status} {response.ReasonPhrase}; writes will be retried");
            }
            if (_options.ApiVersion == InfluxApiVersion.V1 && _options.CreateDatabase && version is not null && version.StartsWith("1.", StringComparison.Ordinal))
                return await EnsureDatabaseAsync(status, version, cancellationToken).ConfigureAwait(false);
            if (_client is not null && InfluxPreflight.IsInfluxDb2(version))
                return await InfluxPreflight.RunAsync(_client, _options, status, version!, cancellationToken).ConfigureAwait(false);
            return new InfluxPingResult(true, true, status, version, false, $"{server} at {_options.Target} is reachable");
        }
    }

    /// <summary>
    /// Stops taking new lines, sends what is queued for at most <see cref="InfluxWriterOptions.FlushTimeout"/>,
    /// then reports (log line and <see cref="UnsentAtShutdown"/>) what could not be sent.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _draining.Cancel();
        _abort.CancelAfter(_options.FlushTimeout);
        try
        {
            // The sender honours the abort token; the margin only guards against a handler that does not.
            await _sender.WaitAsync(_options.FlushTimeout + TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        long unsent = QueuedLines;
        Interlocked.Exchange(ref _unsentAtShutdown, unsent);
        if (unsent > 0)
        {
            _log.WriteAlways($"{unsent} point{(unsent == 1 ? "" : "s")} could not be sent to {_options.Target} within "
                + $"{Seconds(_options.FlushTimeout)} and are lost ({_fatal?.Message ?? _lastFailure ?? "shutdown"})");
        }
        _abort.Cancel();
        _client?.Dispose();
        _http.Dispose();
    }

    private async Task RunSenderAsync()
    {
        var batch = new List<byte[]>();
        int failures = 0;
        while (!_abort.IsCancellationRequested)
        {
            batch.Clear();
            Volatile.Write(ref _busy, 1);
            int taken = _queue.Take(batch, Volatile.Read(ref _batchLimit));
            if (taken == 0)
            {
                Volatile.Write(ref _busy, 0);
                if (_draining.IsCancellationRequested)
                    return;
                try
                {
                    await _wake.WaitAsync(_draining.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
                continue;
            }
            Interlocked.Exchange(ref _inFlightLines, taken);

            BatchOutcome outcome;
            try
            {
                outcome = await SendBatchAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                outcome = new BatchOutcome(PostResult.Retry($"unexpected {e.GetType().Name}: {e.Message}", null), 0);
            }

            if (outcome.RemainingStart < batch.Count)
            {
                int dropped = _queue.ReturnToFront(batch, outcome.RemainingStart);
                if (dropped > 0)
                    CountOverflow(dropped);
            }
            Interlocked.Exchange(ref _inFlightLines, 0);
            Volatile.Write(ref _busy, 0);

            var result = outcome.Result;
            switch (result.Kind)
            {
                case PostKind.Delivered:
                    if (failures > 0 || _fatal is not null)
                        OnRecovered(failures);
                    failures = 0;
                    _createAttempted = false;
                    break;
                case PostKind.Retry:
                    failures++;
                    var delay = result.RetryAfter is { } ra && ra > TimeSpan.Zero
                        ? (ra < _options.MaxRetryAfter ? ra : _options.MaxRetryAfter)
                        : RetryPolicy.Backoff(failures, _options.InitialRetryDelay, _options.MaxRetryDelay, Random.Shared);
                    _lastFailure = result.Message;
                    _log.Write("retry:" + result.Status, $"write to {_options.Target} failed: {result.Message}; "
                        + $"{QueuedLines} points queued, retrying in {Seconds(delay)}");
                    await PauseAsync(delay).ConfigureAwait(false);
                    break;
                case PostKind.Fatal:
                    failures++;
                    if (await TryCreateMissingDatabaseAsync(result).ConfigureAwait(false))
                        break;
                    EnterFatal(result.Fatal!);
                    if (_draining.IsCancellationRequested)
                        return;
                    await PauseAsync(_options.FatalRetryDelay).ConfigureAwait(false);
                    break;
                case PostKind.Aborted:
                    return;
            }
        }
    }

    private async Task<BatchOutcome> SendBatchAsync(List<byte[]> batch)
    {
        var pieces = new Stack<(int Start, int Count)>();
        pieces.Push((0, batch.Count));
        // Pieces are popped in line order, so on failure everything from the current piece on is unsent.
        while (pieces.TryPop(out var piece))
        {
            var result = await PostAsync(batch, piece.Start, piece.Count).ConfigureAwait(false);
            switch (result.Kind)
            {
                case PostKind.Delivered:
                    Interlocked.Add(ref _sent, piece.Count);
                    break;
                case PostKind.TooLarge when piece.Count > 1:
                    int half = piece.Count / 2;
                    pieces.Push((piece.Start + half, piece.Count - half));
                    pieces.Push((piece.Start, half));
                    if (half < Volatile.Read(ref _batchLimit))
                    {
                        Volatile.Write(ref _batchLimit, half);
                        _log.Write("too-large", $"server refused a batch of {piece.Count} points as too large (413): "
                            + $"{InfluxServerMessage.OneLine(result.Message)}; sending at most {half} per request from now on");
                    }
                    break;
                case PostKind.TooLarge:
                    CountRejected(1);
                    _log.Write("too-large-point", $"server refused a single point as too large (413): "
                        + $"{InfluxServerMessage.OneLine(result.Message)}; dropped it");
                    break;
                case PostKind.Rejected:
                    int rejected = InfluxServerMessage.CountRejected(result.Message, piece.Count);
                    CountRejected(rejected);
                    Interlocked.Add(ref _sent, piece.Count - rejected);
                    _log.Write("rejected:" + result.Message, $"server rejected {rejected} of {piece.Count} points ({result.Status}): "
                        + $"{InfluxServerMessage.OneLine(result.Message)}; dropped, not retried");
                    break;
                default:
                    return new BatchOutcome(result, piece.Start);
            }
        }
        return new BatchOutcome(PostResult.Delivered, batch.Count);
    }

    private async Task<PostResult> PostAsync(List<byte[]> batch, int start, int count)
    {
        if (_client is not null)
            return await PostThroughClientAsync(batch, start, count).ConfigureAwait(false);
        var body = new MemoryStream();
        using (var gzip = new GZipStream(body, CompressionLevel.Fastest, leaveOpen: true))
        {
            for (int i = start; i < start + count; i++)
                gzip.Write(batch[i]);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, _writeUri);
        var content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        content.Headers.ContentEncoding.Add("gzip");
        request.Content = content;
        request.Headers.Authorization = _auth;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
                return PostResult.Delivered;
            string message = await InfluxServerMessage.ReadAsync(response, timeout.Token).ConfigureAwait(false);
            TimeSpan? retryAfter = null;
            if (response.Headers.TryGetValues("Retry-After", out var values)
                && RetryPolicy.TryParseRetryAfter(values.FirstOrDefault(), DateTimeOffset.UtcNow, out var ra))
                retryAfter = ra;
            return Classify(status, response.ReasonPhrase, message, retryAfter, response.Headers.Location);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            return PostResult.Aborted;
        }
        catch (OperationCanceledException)
        {
            return PostResult.Retry($"no answer within {Seconds(_options.RequestTimeout)}", null);
        }
        catch (HttpRequestException e)
        {
            return PostResult.Retry(ExceptionText.Describe(e), null);
        }
        catch (IOException e)
        {
            return PostResult.Retry(ExceptionText.Describe(e), null);
        }
    }

    private async Task<PostResult> PostThroughClientAsync(List<byte[]> batch, int start, int count)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        timeout.CancelAfter(_options.RequestTimeout);
        InfluxWriteAnswer answer;
        try
        {
            answer = await _client!.WriteAsync(batch, start, count, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
        {
            return PostResult.Retry($"no answer within {Seconds(_options.RequestTimeout)}", null);
        }
        catch (OperationCanceledException)
        {
            return PostResult.Aborted;
        }
        if (_abort.IsCancellationRequested)
            return answer.Delivered ? PostResult.Delivered : PostResult.Aborted;
        if (answer.Delivered)
            return PostResult.Delivered;
        if (answer.Status == 0)
            return PostResult.Retry(timeout.IsCancellationRequested ? $"no answer within {Seconds(_options.RequestTimeout)}" : answer.Message, null);
        return Classify(answer.Status, answer.Reason, answer.Message, answer.RetryAfter, answer.Location);
    }

    private PostResult Classify(int status, string? reason, string message, TimeSpan? retryAfter, Uri? location)
    {
        string shown = InfluxServerMessage.OneLine(message);
        switch (status)
        {
            case 413:
                return new PostResult(PostKind.TooLarge, status, message, null, null);
            case 401 or 403:
                string hint = _options.Username is not null
                    ? "check the InfluxDB user name and password"
                    : "check ALLOCLAT_INFLUX_TOKEN / --influx-token-file";
                return PostResult.FatalResult(status, new InfluxFatalError(InfluxFatalKind.Authentication, status,
                    $"InfluxDB rejected the credentials ({status}): {shown}; {hint}"));
            case 404:
                return PostResult.FatalResult(status, new InfluxFatalError(InfluxFatalKind.NotFound, status, NotFoundMessage(status, shown)));
            case >= 300 and < 400:
                return PostResult.FatalResult(status, new InfluxFatalError(InfluxFatalKind.Configuration, status,
                    $"InfluxDB URL {_options.Url} answered {status} {reason} (redirect to {location?.ToString() ?? "nowhere"}); use the final URL"));
            case 408 or 429 or >= 500:
                // InfluxDB 1.x reports a missing retention policy as 500; retrying cannot fix it.
                if (message.Contains("retention policy not found", StringComparison.OrdinalIgnoreCase))
                    return PostResult.FatalResult(status, new InfluxFatalError(InfluxFatalKind.NotFound, status, NotFoundMessage(status, shown)));
                return new PostResult(PostKind.Retry, status, $"{status} {reason}: {shown}", retryAfter, null);
            case >= 400:
                return new PostResult(PostKind.Rejected, status, message, null, null);
            default:
                return new PostResult(PostKind.Retry, status, $"unexpected {status} {reason}: {shown}", retryAfter, null);
        }
    }

    /// <summary>
    /// A v1 write answered "database not found": the server was not up when <see cref="PingAsync"/> would have
    /// created the database (alloclat started first), or someone dropped it. Create it once and let the loop
    /// retry at once; if that fails, the usual fatal state and its slow retries follow.
    /// </summary>
    private async Task<bool> TryCreateMissingDatabaseAsync(PostResult result)
    {
        if (_options.ApiVersion != InfluxApiVersion.V1 || !_options.CreateDatabase || _createAttempted
            || result.Fatal?.Kind != InfluxFatalKind.NotFound
            || !result.Message.Contains("database not found", StringComparison.OrdinalIgnoreCase))
            return false;
        _createAttempted = true;
        var created = await EnsureDatabaseAsync(404, "1.x", _abort.Token).ConfigureAwait(false);
        if (created.DatabaseEnsured)
            _log.Write("created", $"InfluxDB database \"{_options.Database}\" did not exist and was created");
        return created.DatabaseEnsured;
    }

    private string NotFoundMessage(int status, string shown)
    {
        if (_options.ApiVersion == InfluxApiVersion.V2)
            return $"InfluxDB has no bucket \"{_options.Bucket}\" in org \"{_options.Org}\" ({status}): {shown}; create it or fix the bucket/org name";
        if (shown.Contains("retention policy", StringComparison.OrdinalIgnoreCase))
            return $"InfluxDB database \"{_options.Database}\" has no retention policy \"{_options.RetentionPolicy}\" ({status}): {shown}; create it or fix the retention policy name";
        return $"InfluxDB database \"{_options.Database}\" not found ({status}): {shown}; create it (CREATE DATABASE \"{_options.Database}\") or fix the database name";
    }

    private async Task<InfluxPingResult> EnsureDatabaseAsync(int pingStatus, string version, CancellationToken cancellationToken)
    {
        string db = _options.Database!;
        string statement = $"CREATE DATABASE \"{db.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseUri, "query"))
            {
                Content = new FormUrlEncodedContent([new KeyValuePair<string, string>("q", statement)]),
            };
            request.Headers.Authorization = _auth;
            using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            string body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            string? error = response.IsSuccessStatusCode ? QueryError(body) : InfluxServerMessage.Extract(body, response.Headers, response.ReasonPhrase);
            if (error is null)
                return new InfluxPingResult(true, true, pingStatus, version, true, $"InfluxDB {version} at {_options.Url} is reachable; database \"{db}\" is ready");
            return new InfluxPingResult(true, false, pingStatus, version, false,
                $"InfluxDB {version} at {_options.Url} is reachable but creating database \"{db}\" failed ({(int)response.StatusCode}): "
                + $"{InfluxServerMessage.OneLine(error)}; writes fail until it exists");
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new InfluxPingResult(true, false, pingStatus, version, false,
                $"InfluxDB {version} at {_options.Url} answered /ping but creating database \"{db}\" failed: {ExceptionText.Describe(e)}");
        }
    }

    private static string? QueryError(string body)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.TryGetProperty("error", out var e))
                return e.GetString();
            if (root.TryGetProperty("results", out var results))
                foreach (var r in results.EnumerateArray())
                    if (r.TryGetProperty("error", out var re))
                        return re.GetString();
            return null;
        }
        catch (System.Text.Json.JsonException)
        {
            return $"unexpected answer: {body}";
        }
    }

    private void EnterFatal(InfluxFatalError error)
    {
        var previous = _fatal;
        _fatal = error;
        _lastFailure = error.Message;
        if (previous is not null && previous.Message == error.Message)
        {
            _log.Write("fatal", error.Message);
            return;
        }
        _log.Reset("fatal");
        _log.Write("fatal", error.Message);
        try
        {
            FatalErrorRaised?.Invoke(this, error);
        }
        catch (Exception e)
        {
            _log.WriteAlways($"fatal-error handler threw {e.GetType().Name}: {e.Message}");
        }
    }

    private void OnRecovered(int failures)
    {
        bool wasFatal = _fatal is not null;
        _fatal = null;
        _lastFailure = null;
        _log.Write("recovered", wasFatal
            ? $"{_options.Target} accepts writes again; sending {QueuedLines} queued points"
            : $"write to {_options.Target} succeeded after {failures} failed attempt{(failures == 1 ? "" : "s")}; sending {QueuedLines} queued points");
    }

    private void CountOverflow(int dropped)
    {
        Interlocked.Add(ref _pendingDropped, dropped);
        long total = Interlocked.Add(ref _totalDropped, dropped);
        _log.Write("overflow", $"queue full ({_options.QueueCapacity} points): dropped the {dropped} oldest; {total} dropped so far");
    }

    private void CountRejected(int dropped)
    {
        Interlocked.Add(ref _pendingDropped, dropped);
        Interlocked.Add(ref _totalDropped, dropped);
    }

    private async Task PauseAsync(TimeSpan delay)
    {
        // Before shutdown a pause ends early when draining starts; while draining only the deadline ends it.
        var token = _draining.IsCancellationRequested ? _abort.Token : _draining.Token;
        try
        {
            await Task.Delay(delay, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static AuthenticationHeaderValue? BuildAuth(InfluxWriterOptions options)
    {
        if (options.ApiVersion == InfluxApiVersion.V1 && options.Username is not null)
        {
            var raw = Encoding.UTF8.GetBytes($"{options.Username}:{options.Password}");
            return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(raw));
        }
        return string.IsNullOrEmpty(options.Token) ? null : new AuthenticationHeaderValue("Token", options.Token);
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.0#} s";

    private enum PostKind { Delivered, Retry, TooLarge, Rejected, Fatal, Aborted }

    private sealed record PostResult(PostKind Kind, int Status, string Message, TimeSpan? RetryAfter, InfluxFatalError? Fatal)
    {
        public static readonly PostResult Delivered = new(PostKind.Delivered, 204, "", null, null);
        public static readonly PostResult Aborted = new(PostKind.Aborted, 0, "shutdown deadline reached", null, null);

        public static PostResult Retry(string message, TimeSpan? retryAfter) => new(PostKind.Retry, 0, message, retryAfter, null);

        public static PostResult FatalResult(int status, InfluxFatalError error) => new(PostKind.Fatal, status, error.Message, null, error);
    }

    private readonly record struct BatchOutcome(PostResult Result, int RemainingStart);
}
