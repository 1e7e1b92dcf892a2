using Xunit;

namespace Tracer.TestSupport;

/// <summary>
/// A real server process on 127.0.0.1 with its files in a fresh temporary folder: started and awaited, killed and
/// restarted on the same port and data (to stage an outage), and always stopped and cleaned up on dispose.
/// Usable as an xunit class fixture or directly (<c>await using</c>).
/// </summary>
public abstract class LoopbackServerFixture : IAsyncLifetime, IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _executable;
    private readonly List<ReservedPort> _ports = [];
    private ServerProcess? _process;
    private bool _disposed;

    protected LoopbackServerFixture(string executable, string installHint)
    {
        _executable = ServerProcess.FindExecutable(executable, installHint);
        Directory = Path.Combine(Path.GetTempPath(), $"alloclat-{Path.GetFileName(executable)}-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        Port = ReservePort();
    }

    /// <summary>
    /// A port held for the fixture's life: a restart finds it free, and no other server takes it in between.
    /// </summary>
    protected int ReservePort()
    {
        var port = new ReservedPort();
        _ports.Add(port);
        return port.Number;
    }

    protected HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Hard limit on the server's life even if nobody stops it.</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Temporary folder holding the server's files; deleted on dispose.</summary>
    public string Directory { get; }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    public bool IsRunning => _process is { HasExited: false };

    public Task InitializeAsync() => StartAsync();

    /// <summary>The server's command-line arguments, asked at every start.</summary>
    protected abstract IReadOnlyList<string> Arguments();

    /// <summary>True once the server answers; an <see cref="HttpRequestException"/> counts as not yet.</summary>
    protected abstract Task<bool> IsReadyAsync();

    /// <summary>Work after the server first answers (creating users, say).</summary>
    protected virtual Task OnStartedAsync() => Task.CompletedTask;

    /// <summary>Starts the server (again, on the same port and data) and waits until it answers.</summary>
    public async Task StartAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsRunning)
            return;
        _process?.Dispose();
        _process = new ServerProcess(_executable, Arguments(), Directory, Lifetime);
        var process = _process;
        string name = Path.GetFileName(_executable);
        await Wait.UntilAsync(async () =>
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{name} exited during startup:\n{process.RecentOutput}");
            try
            {
                return await IsReadyAsync().ConfigureAwait(false);
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, StartTimeout, $"{name} to answer on port {Port}; output:\n{process.RecentOutput}").ConfigureAwait(false);
        await OnStartedAsync().ConfigureAwait(false);
    }

    /// <inheritdoc cref="StartAsync"/>
    public void Start() => StartAsync().GetAwaiter().GetResult();

    /// <summary>Kills the server abruptly; data and port stay for <see cref="Start"/>.</summary>
    public void Stop() => _process?.Kill();

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
        foreach (var port in _ports)
            port.Dispose();
        Http.Dispose();
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
