using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Tracer.TestSupport;

/// <summary>
/// A tiny HTTP/1.1 server on a real 127.0.0.1 socket that answers with scripted responses and records every
/// request. Answers come from the responder function if it returns one, else from the script queue in order,
/// else <see cref="DefaultResponse"/>. Enough HTTP for HttpClient: keep-alive, Content-Length and chunked bodies.
/// </summary>
public sealed class ScriptedHttpServer : IAsyncDisposable, IDisposable
{
    private const int MaxHeaderBytes = 64 * 1024;
    private const int MaxBodyBytes = 64 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly X509Certificate2? _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<ScriptedResponse> _script = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly ConcurrentDictionary<TcpClient, Task> _connections = new();
    private readonly Func<RecordedRequest, ScriptedResponse?>? _responder;
    private readonly Task _acceptLoop;
    private volatile ScriptedResponse _default = ScriptedResponse.NoContent;

    /// <param name="responder">Chooses the answer per request; null (or a null answer) falls back to the script.</param>
    /// <param name="port">Port on 127.0.0.1; 0 for any free one (give a <see cref="ReservedPort"/>'s to bring up a server where a client already points).</param>
    /// <param name="certificate">Serve HTTPS with this certificate (with its private key); plain HTTP when null.</param>
    public ScriptedHttpServer(Func<RecordedRequest, ScriptedResponse?>? responder = null, int port = 0, X509Certificate2? certificate = null)
    {
        _responder = responder;
        _certificate = certificate;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        // A port given is usually a ReservedPort, still held bound by the test: sharing it needs SO_REUSEADDR.
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        _socket.Listen(128);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public Uri Url => new($"{(_certificate is null ? "http" : "https")}://127.0.0.1:{Port}/");

    /// <summary>Answer once the script is used up (204 unless changed).</summary>
    public ScriptedResponse DefaultResponse
    {
        get => _default;
        set => _default = value;
    }

    /// <summary>Appends answers for the next requests, in order.</summary>
    public void Enqueue(params ScriptedResponse[] responses)
    {
        foreach (var r in responses)
            _script.Enqueue(r);
    }

    public IReadOnlyList<RecordedRequest> Requests
    {
        get { lock (_requests) return _requests.ToList(); }
    }

    /// <summary>Waits until at least <paramref name="count"/> requests arrived; returns all received so far.</summary>
    public async Task<IReadOnlyList<RecordedRequest>> WaitForRequestsAsync(int count, TimeSpan timeout)
    {
        await Wait.UntilAsync(() => Requests.Count >= count, timeout, $"{count} requests (got {Requests.Count})", TimeSpan.FromMilliseconds(10))
            .ConfigureAwait(false);
        return Requests;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
            return;
        _stop.Cancel();
        _socket.Dispose();
        foreach (var client in _connections.Keys)
            client.Dispose();
        try
        {
            await Task.WhenAll(_connections.Values.Append(_acceptLoop)).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException or TimeoutException)
        {
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = new TcpClient { Client = await _socket.AcceptAsync(_stop.Token).ConfigureAwait(false) };
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _connections[client] = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            using (client)
            {
                client.NoDelay = true;
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var tls = new SslStream(stream);
                    try
                    {
                        await tls.AuthenticateAsServerAsync(_certificate).WaitAsync(TimeSpan.FromSeconds(10), _stop.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or TimeoutException)
                    {
                        await tls.DisposeAsync().ConfigureAwait(false);
                        return;
                    }
                    stream = tls;
                }
                var reader = new RequestReader(stream);
                while (!_stop.IsCancellationRequested)
                {
                    var request = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                    if (request is null)
                        return;
                    lock (_requests)
                        _requests.Add(request);
                    var response = _responder?.Invoke(request) ?? (_script.TryDequeue(out var next) ? next : _default);
                    if (response.Delay > TimeSpan.Zero)
                        await Task.Delay(response.Delay, _stop.Token).ConfigureAwait(false);
                    if (response.Disconnect)
                    {
                        client.Client.LingerState = new LingerOption(true, 0);
                        return;
                    }
                    await stream.WriteAsync(Serialize(response), _stop.Token).ConfigureAwait(false);
                    if (string.Equals(request.Header("Connection"), "close", StringComparison.OrdinalIgnoreCase))
                        return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
        }
        finally
        {
            _connections.TryRemove(client, out _);
        }
    }

    private static byte[] Serialize(ScriptedResponse response)
    {
        var body = Encoding.UTF8.GetBytes(response.Body ?? "");
        var sb = new StringBuilder();
        sb.Append("HTTP/1.1 ").Append(response.Status.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(Reason(response.Status)).Append("\r\n");
        sb.Append("Date: ").Append(DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture)).Append("\r\n");
        sb.Append("Content-Length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        if (body.Length > 0)
            sb.Append("Content-Type: ").Append(response.Body!.TrimStart().StartsWith('{') ? "application/json" : "text/plain; charset=utf-8").Append("\r\n");
        if (response.Headers is not null)
            foreach (var (name, value) in response.Headers)
                sb.Append(name).Append(": ").Append(value.ReplaceLineEndings(" ")).Append("\r\n"); // as Go's net/http does
        sb.Append("\r\n");
        var head = Encoding.UTF8.GetBytes(sb.ToString());
        var all = new byte[head.Length + body.Length];
        head.CopyTo(all, 0);
        body.CopyTo(all, head.Length);
        return all;
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Request Entity Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };

    /// <summary>Parses requests off one connection, keeping bytes that belong to the next request.</summary>
    private sealed class RequestReader(Stream stream)
    {
        private byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        public async Task<RecordedRequest?> ReadAsync(CancellationToken cancellationToken)
        {
            int headerEnd;
            while ((headerEnd = IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (_end - _start > MaxHeaderBytes)
                    throw new IOException("request header too large");
                if (!await FillAsync(cancellationToken).ConfigureAwait(false))
                    return null;
            }
            long received = Stopwatch.GetTimestamp();
            var head = Encoding.ASCII.GetString(_buffer, _start, headerEnd - _start);
            _start = headerEnd + 4;
            var lines = head.Split("\r\n");
            var parts = lines[0].Split(' ');
            if (parts.Length < 3)
                throw new IOException($"bad request line '{lines[0]}'");
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in lines.Skip(1))
            {
                int colon = line.IndexOf(':');
                if (colon <= 0)
                    continue;
                var name = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                headers[name] = headers.TryGetValue(name, out var existing) ? existing + ", " + value : value;
            }

            if (headers.TryGetValue("Expect", out var expect) && expect.Equals("100-continue", StringComparison.OrdinalIgnoreCase))
                await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);

            byte[] body;
            if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
                body = await ReadChunkedAsync(cancellationToken).ConfigureAwait(false);
            else if (headers.TryGetValue("Content-Length", out var cl))
                body = await ReadExactAsync(int.Parse(cl, CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
            else
                body = [];

            var target = parts[1];
            int q = target.IndexOf('?');
            var path = q < 0 ? target : target[..q];
            var query = new Dictionary<string, string>(StringComparer.Ordinal);
            if (q >= 0)
            {
                foreach (var pair in target[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
                {
                    int eq = pair.IndexOf('=');
                    var key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
                    var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
                    query[key] = value;
                }
            }
            return new RecordedRequest(parts[0], target, Uri.UnescapeDataString(path), query, headers, body, received);
        }

        private async Task<byte[]> ReadChunkedAsync(CancellationToken cancellationToken)
        {
            using var body = new MemoryStream();
            while (true)
            {
                var sizeLine = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
                int semicolon = sizeLine.IndexOf(';');
                int size = int.Parse(semicolon < 0 ? sizeLine : sizeLine[..semicolon], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while ((await ReadLineAsync(cancellationToken).ConfigureAwait(false)).Length > 0)
                    {
                    }
                    return body.ToArray();
                }
                if (body.Length + size > MaxBodyBytes)
                    throw new IOException("request body too large");
                body.Write(await ReadExactAsync(size, cancellationToken).ConfigureAwait(false));
                await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            int end;
            while ((end = IndexOf("\r\n"u8)) < 0)
                if (!await FillAsync(cancellationToken).ConfigureAwait(false))
                    throw new IOException("connection closed inside a chunked body");
            var line = Encoding.ASCII.GetString(_buffer, _start, end - _start);
            _start = end + 2;
            return line;
        }

        private async Task<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken)
        {
            if (count < 0 || count > MaxBodyBytes)
                throw new IOException($"bad body length {count}");
            while (_end - _start < count)
                if (!await FillAsync(cancellationToken).ConfigureAwait(false))
                    throw new IOException("connection closed inside a body");
            var result = _buffer.AsSpan(_start, count).ToArray();
            _start += count;
            return result;
        }

        private int IndexOf(ReadOnlySpan<byte> marker)
        {
            int i = _buffer.AsSpan(_start, _end - _start).IndexOf(marker);
            return i < 0 ? -1 : _start + i;
        }

        private async Task<bool> FillAsync(CancellationToken cancellationToken)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
                Array.Resize(ref _buffer, _buffer.Length * 2);
            int n = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (n == 0)
                return false;
            _end += n;
            return true;
        }
    }
}
