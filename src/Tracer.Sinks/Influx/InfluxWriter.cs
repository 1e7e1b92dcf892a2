using System.Diagnostics;
using System.Text;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// Sends line protocol to InfluxDB (v1 or v2 write API; VictoriaMetrics speaks both) from a background task.
/// <see cref="Write(ReadOnlySpan{byte})"/> only queues: tracing goes on while the database is slow or down.
/// </summary>
/// <remarks>
/// Lines wait in a bounded queue (<see cref="InfluxWriterOptions.QueueCapacity"/>, oldest dropped first) and
/// leave in gzip-compressed batches of at most <see cref="InfluxWriterOptions.BatchSize"/>, carried by an
/// <see cref="IInfluxTransport"/>; <see cref="InfluxResponseClassifier"/> decides what each answer means.
/// Connection errors, timeouts, 408, 429 and 5xx are retried as <see cref="RetryPolicy"/> says (backoff with
/// jitter, honouring <c>Retry-After</c>); the batch goes back to the front of the queue meanwhile, so capacity
/// bounds the memory however long the outage. A retried batch the server had in fact stored is harmless: a point
/// with the same series and timestamp overwrites itself. 413 splits the batch in halves; 400/422 drop it (the
/// server's message is logged); 401/403/404, a redirect and an untrusted certificate enter
/// <see cref="FatalError"/>, keep the points and retry rarely. Every timer runs on the injected
/// <see cref="TimeProvider"/>.
/// </remarks>
public sealed class InfluxWriter : IAsyncDisposable
{
    private const string LogPrefix = "influx: ";

    /// <summary>How long shutdown waits, past the flush deadline, for a sender whose request ignores cancellation.</summary>
    private static readonly TimeSpan AbortGrace = TimeSpan.FromMilliseconds(250);

    private readonly InfluxWriterOptions _options;
    private readonly TimeProvider _time;
    private readonly RetryPolicy _retry;
    private readonly RateLimitedLog _log;
    private readonly LineQueue _queue;
    private readonly InfluxConnection _connection;
    private readonly IInfluxTransport _transport;
    private readonly InfluxProvisioning _provisioning;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _draining = new();
    private readonly CancellationTokenSource _abort;
    private readonly Task _sender;

    private long _pendingDropped;
    private long _overflowed;
    private long _rejected;
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
        : this(options, log, TimeProvider.System)
    {
    }

    /// <summary>As <see cref="InfluxWriter(InfluxWriterOptions, TextWriter)"/>, with every delay and timeout on <paramref name="time"/>.</summary>
    public InfluxWriter(InfluxWriterOptions options, TextWriter log, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _options = options;
        _time = time;
        _retry = new RetryPolicy(options.InitialRetryDelay, options.MaxRetryDelay, options.MaxRetryAfter, time);
        _log = new RateLimitedLog(log, options.LogInterval, time, LogPrefix);
        _queue = new LineQueue(options.QueueCapacity);
        _batchLimit = options.BatchSize;
        _abort = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);

        var endpoint = new InfluxEndpoint(options);
        _connection = new InfluxConnection(options);
        // InfluxDB 2.x/3.x: the official client carries each batch, over the same handler.
        var client = options.ApiVersion == InfluxApiVersion.V2 ? new InfluxClientTransport(options, _connection, time) : null;
        _transport = client ?? (IInfluxTransport)new InfluxHttpTransport(_connection, endpoint, time);
        _provisioning = new InfluxProvisioning(options, _connection, endpoint, client);

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
    public long DroppedLines => OverflowedLines + RejectedLines;

    /// <summary>Lines dropped because the queue was full (the oldest go first).</summary>
    public long OverflowedLines => Interlocked.Read(ref _overflowed);

    /// <summary>Lines the server refused for good (400, 422, a single point answered 413): counted per point.</summary>
    public long RejectedLines => Interlocked.Read(ref _rejected);

    /// <summary>After <see cref="DisposeAsync"/>: lines that could not be sent before the flush deadline.</summary>
    public long? UnsentAtShutdown => Interlocked.Read(ref _unsentAtShutdown) is var n && n >= 0 ? n : null;

    /// <summary>Why the last attempt failed (or the fatal error), for the report at exit; null after a success.</summary>
    public string? LastFailure => _fatal?.Message ?? _lastFailure;

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
    /// Startup check (<see cref="InfluxProvisioning"/>): ping, and create the InfluxDB 1.x database or check the
    /// InfluxDB 2.x org, bucket and token. Never throws for network problems. An untrusted certificate puts the
    /// writer in its fatal state at once (<see cref="InfluxPingResult.Fatal"/>); the caller reports it. Ends with
    /// <see cref="OperationCanceledException"/> if the writer is disposed first.
    /// </summary>
    public async Task<InfluxPingResult> PingAsync(CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _draining.Token);
        var result = await _provisioning.PingAsync(linked.Token).ConfigureAwait(false);
        linked.Token.ThrowIfCancellationRequested();
        if (result.Fatal is { } fatal)
            EnterFatal(fatal, reported: true);
        return result;
    }

    /// <summary>
    /// Stops taking new lines, sends what is queued for at most <see cref="InfluxWriterOptions.FlushTimeout"/>
    /// (a request still in flight then is abandoned), then reports (log line and <see cref="UnsentAtShutdown"/>)
    /// what could not be sent.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _draining.Cancel();
        _abort.CancelAfter(_options.FlushTimeout);
        try
        {
            await _sender.WaitAsync(_options.FlushTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        _abort.Cancel();
        // The sender honours the abort token; the grace only bounds a request that does not.
        await Task.WhenAny(_sender, Task.Delay(AbortGrace)).ConfigureAwait(false);
        long unsent = QueuedLines;
        Interlocked.Exchange(ref _unsentAtShutdown, unsent);
        if (unsent > 0)
        {
            _log.WriteAlways($"{unsent} point{(unsent == 1 ? "" : "s")} could not be sent to {_options.Target} within "
                + $"{Seconds(_options.FlushTimeout)} and are lost ({(_fatal?.Kind == InfluxFatalKind.Certificate ? "its TLS certificate is not trusted" : LastFailure ?? "shutdown")})");
        }
        _transport.Dispose();
        _connection.Dispose();
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
                outcome = new BatchOutcome(InfluxDecision.Retry($"unexpected {e.GetType().Name}: {e.Message}"), 0);
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
                case InfluxDecisionKind.Delivered:
                    if (failures > 0 || _fatal is not null)
                        OnRecovered(failures);
                    failures = 0;
                    _createAttempted = false;
                    break;
                case InfluxDecisionKind.Retry:
                    failures++;
                    var delay = _retry.NextDelay(failures, result.RetryAfter);
                    _lastFailure = result.Message;
                    _log.Write("retry:" + result.Status, $"write to {_options.Target} failed: {result.Message}; "
                        + $"{QueuedLines} points queued, retrying in {Seconds(delay)}");
                    await PauseAsync(delay).ConfigureAwait(false);
                    break;
                case InfluxDecisionKind.Fatal:
                    failures++;
                    if (await TryCreateMissingDatabaseAsync(result).ConfigureAwait(false))
                        break;
                    EnterFatal(result.Fatal!, reported: false);
                    if (_draining.IsCancellationRequested)
                        return;
                    await PauseAsync(_options.FatalRetryDelay).ConfigureAwait(false);
                    break;
                case InfluxDecisionKind.Aborted:
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
                case InfluxDecisionKind.Delivered:
                    Interlocked.Add(ref _sent, piece.Count);
                    break;
                case InfluxDecisionKind.TooLarge when piece.Count > 1:
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
                case InfluxDecisionKind.TooLarge:
                    CountRejected(1);
                    _log.Write("too-large-point", $"server refused a single point as too large (413): "
                        + $"{InfluxServerMessage.OneLine(result.Message)}; dropped it");
                    break;
                case InfluxDecisionKind.Rejected:
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
        return new BatchOutcome(InfluxDecision.Delivered, batch.Count);
    }

    /// <summary>One request under the request timeout and the shutdown deadline, and what its answer means.</summary>
    private async Task<InfluxDecision> PostAsync(List<byte[]> batch, int start, int count)
    {
        using var requestTimeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token, requestTimeout.Token);
        InfluxWriteAnswer answer;
        try
        {
            answer = await _transport.WriteAsync(batch, start, count, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            _lastFailure ??= "no answer to the request in flight";
            return InfluxDecision.Aborted;
        }
        catch (OperationCanceledException)
        {
            return InfluxDecision.Retry($"no answer within {Seconds(_options.RequestTimeout)}");
        }
        if (answer.Status == 0 && answer.Certificate is null)
        {
            if (_abort.IsCancellationRequested)
                return InfluxDecision.Aborted;
            if (requestTimeout.IsCancellationRequested)
                return InfluxDecision.Retry($"no answer within {Seconds(_options.RequestTimeout)}");
        }
        return InfluxResponseClassifier.Classify(answer, _options);
    }

    /// <summary>
    /// A v1 write answered "database not found": the server was not up when <see cref="PingAsync"/> would have
    /// created the database (alloclat started first), or someone dropped it. Create it once and let the loop
    /// retry at once; if that fails, the usual fatal state and its slow retries follow.
    /// </summary>
    private async Task<bool> TryCreateMissingDatabaseAsync(InfluxDecision result)
    {
        if (_options.ApiVersion != InfluxApiVersion.V1 || !_options.CreateDatabase || _createAttempted
            || !InfluxResponseClassifier.IsMissingDatabase(result))
            return false;
        _createAttempted = true;
        var created = await _provisioning.EnsureDatabaseAsync(404, "1.x", _abort.Token).ConfigureAwait(false);
        if (created.DatabaseEnsured)
            _log.Write("created", $"InfluxDB database \"{_options.Database}\" did not exist and was created");
        return created.DatabaseEnsured;
    }

    /// <param name="error">The configuration error.</param>
    /// <param name="reported">The caller tells the user itself (the start-up check); the writer stays silent.</param>
    private void EnterFatal(InfluxFatalError error, bool reported)
    {
        var previous = _fatal;
        _fatal = error;
        _lastFailure = error.Message;
        bool same = previous is not null && previous.Message == error.Message;
        // A certificate does not change while it is retried: it is reported once.
        if (reported || (same && error.Kind == InfluxFatalKind.Certificate))
            return;
        if (same)
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
        Interlocked.Add(ref _overflowed, dropped);
        _log.Write("overflow", $"queue full ({_options.QueueCapacity} points): dropped the {dropped} oldest; {DroppedLines} dropped so far");
    }

    private void CountRejected(int dropped)
    {
        Interlocked.Add(ref _pendingDropped, dropped);
        Interlocked.Add(ref _rejected, dropped);
    }

    private async Task PauseAsync(TimeSpan delay)
    {
        // Before shutdown a pause ends early when draining starts; while draining only the deadline ends it.
        var token = _draining.IsCancellationRequested ? _abort.Token : _draining.Token;
        await _retry.WaitAsync(delay, token).ConfigureAwait(false);
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.0#} s";

    private readonly record struct BatchOutcome(InfluxDecision Result, int RemainingStart);
}
