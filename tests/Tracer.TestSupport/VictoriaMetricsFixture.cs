using System.Globalization;
using System.Text.Json;
using Xunit;

namespace Tracer.TestSupport;

/// <summary>
/// A real VictoriaMetrics (<c>victoria-metrics</c>, Debian package <c>victoria-metrics</c>) on 127.0.0.1 with
/// its storage in a fresh temporary folder. It accepts line protocol on <c>/write</c> and
/// <c>/api/v2/write</c>, turning <c>m,tag=x f=1</c> into metric <c>m_f{tag="x"}</c>; read it back with
/// <see cref="ExportAsync"/>.
/// </summary>
public sealed class VictoriaMetricsFixture : IAsyncLifetime, IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _executable;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private ServerProcess? _process;
    private bool _disposed;

    public VictoriaMetricsFixture()
    {
        _executable = ServerProcess.FindExecutable("victoria-metrics", "apt-get install -y victoria-metrics");
        Directory = Path.Combine(Path.GetTempPath(), "alloclat-vm-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        Port = FreePort.Next();
    }

    /// <summary>Hard limit on the server's life even if nobody stops it.</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(15);

    public string Directory { get; }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    public bool IsRunning => _process is { HasExited: false };

    public Task InitializeAsync() => StartAsync();

    /// <summary>Starts the server (again, on the same port and storage) and waits until <c>/health</c> says OK.</summary>
    public async Task StartAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsRunning)
            return;
        _process?.Dispose();
        _process = new ServerProcess(_executable,
        [
            "-httpListenAddr", $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}",
            "-storageDataPath", Path.Combine(Directory, "data"),
            "-loggerLevel", "ERROR",
            "-search.disableCache",
            "-search.latencyOffset", "0s",
        ], Directory, Lifetime);
        var process = _process;
        await Wait.UntilAsync(async () =>
        {
            if (process.HasExited)
                throw new InvalidOperationException($"victoria-metrics exited during startup:\n{process.RecentOutput}");
            try
            {
                return (await _http.GetStringAsync(new Uri(Url, "health")).ConfigureAwait(false)).Trim() == "OK";
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, StartTimeout, $"victoria-metrics to answer /health on port {Port}; output:\n{process.RecentOutput}").ConfigureAwait(false);
    }

    /// <inheritdoc cref="StartAsync"/>
    public void Start() => StartAsync().GetAwaiter().GetResult();

    /// <summary>Kills the server abruptly; storage and port stay for <see cref="Start"/>.</summary>
    public void Stop() => _process?.Kill();

    /// <summary>Makes recently ingested samples searchable (otherwise they show up after about a second).</summary>
    public async Task ForceFlushAsync()
    {
        using var response = await _http.GetAsync(new Uri(Url, "internal/force_flush")).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Flushes, then exports every series matching <paramref name="seriesSelector"/>, e.g. <c>{__name__=~"m_.*"}</c>.</summary>
    public async Task<IReadOnlyList<VmSeries>> ExportAsync(string seriesSelector)
    {
        await ForceFlushAsync().ConfigureAwait(false);
        using var content = new FormUrlEncodedContent([new KeyValuePair<string, string>("match[]", seriesSelector)]);
        using var response = await _http.PostAsync(new Uri(Url, "api/v1/export"), content).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"export of {seriesSelector} failed with {(int)response.StatusCode}: {body}");
        var list = new List<VmSeries>();
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var labels = root.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
            var values = root.GetProperty("values").EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String
                ? double.Parse(v.GetString()!, CultureInfo.InvariantCulture) : v.GetDouble()).ToList();
            var times = root.GetProperty("timestamps").EnumerateArray().Select(t => t.GetInt64()).ToList();
            list.Add(new VmSeries(labels, values, times));
        }
        return list;
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    ValueTask IAsyncDisposable.DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _process?.Dispose();
        _http.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
