using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Tracer.Core;

namespace Tracer.Alerts;

/// <summary>
/// Posts alert notifications as JSON to a URL from a background task, so a slow or dead receiver never holds up
/// tracing: <see cref="Enqueue"/> only puts the body on a bounded queue (the oldest is dropped when full). A
/// failed delivery (connection error, timeout, 408, 429, 5xx) is retried as <see cref="RetryPolicy"/> says
/// (exponential backoff with jitter, honouring <c>Retry-After</c>), up to
/// <see cref="AlertWebhookOptions.MaxAttempts"/>; any other 4xx is final. Failures are reported as one line each
/// on the log writer.
/// </summary>
public sealed class AlertWebhook : IAsyncDisposable
{
    private readonly AlertWebhookOptions _options;
    private readonly TextWriter _log;
    private readonly HttpClient _http;
    private readonly RetryPolicy _retry;
    private readonly Channel<string> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;
    private long _delivered;
    private long _failed;
    private long _dropped;

    /// <param name="options">Where and how persistently to deliver.</param>
    /// <param name="log">One line per notification given up on.</param>
    /// <param name="handler">The HTTP handler; a default one when null.</param>
    /// <param name="retry">The delays between attempts; by default the options' delays on the system clock.</param>
    public AlertWebhook(AlertWebhookOptions options, TextWriter log, HttpMessageHandler? handler = null, RetryPolicy? retry = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        _options = options;
        _log = log;
        _retry = retry ?? new RetryPolicy(options.InitialDelay, options.MaxDelay, options.MaxRetryAfter);
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.Timeout = options.RequestTimeout;
        _queue = Channel.CreateBounded<string>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }, _ => Interlocked.Increment(ref _dropped));
        _worker = Task.Run(RunAsync);
    }

    /// <summary>Notifications the receiver accepted.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Notifications given up on after their attempts or on a final error.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Notifications dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a notification for <paramref name="transition"/>; never blocks.</summary>
    public void Enqueue(AlertTransition transition) => _queue.Writer.TryWrite(Body(transition));

    /// <summary>The JSON posted for one transition.</summary>
    public static string Body(AlertTransition t)
    {
        ArgumentNullException.ThrowIfNull(t);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("state", t.StateName);
            w.WriteString("previous", t.PreviousName);
            w.WriteString("rule", t.Rule.Name);
            w.WriteString("expr", t.Rule.Expression);
            w.WriteString("host", t.Host);
            w.WriteString("measurement", t.Measurement);
            w.WriteStartObject("tags");
            foreach (var (k, v) in t.Tags)
                w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteString("field", t.Rule.Field.Name());
            w.WriteNumber("value_ns", t.ValueNs);
            w.WriteNumber("threshold_ns", t.ThresholdNs);
            if (t.BaselineNs is long b)
                w.WriteNumber("baseline_ns", b);
            else
                w.WriteNull("baseline_ns");
            w.WriteNumber("intervals", t.Intervals);
            w.WriteString("time", DateTimeOffset.FromUnixTimeMilliseconds(t.TimestampUnixNs / 1_000_000).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            w.WriteNumber("time_unix_ns", t.TimestampUnixNs);
            w.WriteString("summary", AlertPoints.LogLine(t));
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Stops taking notifications, waits up to the drain timeout for queued ones, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _worker.WaitAsync(_options.DrainTimeout, _retry.Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _log.WriteLine($"[WARN] alert webhook: {_queue.Reader.Count + 1} notification(s) not delivered before exit");
        }
        _stop.Cancel();
        try
        {
            await _worker.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _http.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        await foreach (var body in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            await DeliverAsync(body).ConfigureAwait(false);
    }

    private async Task DeliverAsync(string body)
    {
        for (int attempt = 1; ; attempt++)
        {
            string problem;
            bool retryable;
            TimeSpan? retryAfter = null;
            try
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await _http.PostAsync(_options.Url, content, _stop.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _delivered);
                    return;
                }
                int status = (int)response.StatusCode;
                problem = $"HTTP {status.ToString(CultureInfo.InvariantCulture)}";
                retryable = status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
                if (response.Headers.TryGetValues("Retry-After", out var values) && _retry.TryParseRetryAfter(values.FirstOrDefault(), out var ra))
                    retryAfter = ra;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                problem = e is TaskCanceledException ? "timed out" : e.Message;
                retryable = true;
            }
            if (!retryable || attempt >= _options.MaxAttempts)
            {
                Interlocked.Increment(ref _failed);
                _log.WriteLine($"[WARN] alert webhook {_options.Url}: notification not delivered after {attempt} attempt(s): {problem}");
                return;
            }
            if (!await _retry.WaitAsync(_retry.NextDelay(attempt, retryAfter), _stop.Token).ConfigureAwait(false))
                throw new OperationCanceledException(_stop.Token);
        }
    }
}
