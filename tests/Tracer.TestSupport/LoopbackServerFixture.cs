using Xunit;

namespace Tracer.TestSupport;

/// <summary>
/// A real server process on 127.0.0.1 with its files in a fresh temporary folder: started and awaited, killed and
/// restarted (to stage an outage), and always stopped and cleaned up on dispose. Usable as an xunit class fixture or
/// directly (<c>await using</c>).
/// </summary>
public abstract class LoopbackServerFixture : IAsyncLifetime, IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _executable;
    private readonly ServerPort _portChoice;
    private readonly List<ReservedPort> _ports = [];
    private ServerProcess? _process;
    private bool _disposed;

    /// <param name="executable">The server program, found on PATH.</param>
    /// <param name="installHint">What to install when it is missing.</param>
    /// <param name="port">How the server gets its port.</param>
    /// <param name="name">Names the temporary folder (the executable's name when null).</param>
    protected LoopbackServerFixture(string executable, string installHint, ServerPort port, string? name = null)
    {
        _executable = ServerProcess.FindExecutable(executable, installHint);
        _portChoice = port;
        Directory = Path.Combine(Path.GetTempPath(), $"alloclat-{name ?? Path.GetFileName(executable)}-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        if (port == ServerPort.Reserved)
            Port = ReservePort();
    }

    /// <summary>How a server gets its port on 127.0.0.1.</summary>
    protected enum ServerPort
    {
        /// <summary>
        /// It binds port 0 and is asked (<see cref="ListeningPorts"/>) which port the kernel gave it; a restart gets a
        /// new one.
        /// </summary>
        AnyFree,

        /// <summary>
        /// A <see cref="ReservedPort"/> held for the fixture's life: for servers that cannot bind port 0, and for those
        /// restarted where a client already points (a restart finds the port free, and no other server takes it in
        /// between).
        /// </summary>
        Reserved,
    }

    private int ReservePort()
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

    /// <summary>The port the server listens on (for <see cref="ServerPort.AnyFree"/>, 0 until it has started).</summary>
    public int Port { get; private set; }

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The process started (coreutils <c>timeout</c>, whose child is the server), while it runs.</summary>
    protected int? ProcessId => _process?.Id;

    public Task InitializeAsync() => StartAsync();

    /// <summary>The server's command-line arguments, asked at every start.</summary>
    protected abstract IReadOnlyList<string> Arguments();

    /// <summary>True once the server answers; an <see cref="HttpRequestException"/> counts as not yet.</summary>
    protected abstract Task<bool> IsReadyAsync();

    /// <summary>Work before each start (writing its configuration, say).</summary>
    protected virtual Task OnStartingAsync() => Task.CompletedTask;

    /// <summary>Work before the server is killed on dispose (asking it to shut down in order, say).</summary>
    protected virtual void OnStopping()
    {
    }

    /// <summary>Work after the server first answers (creating users, say).</summary>
    protected virtual Task OnStartedAsync() => Task.CompletedTask;

    /// <summary>Starts the server (again, on the same port and data) and waits until it answers.</summary>
    public async Task StartAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsRunning)
            return;
        _process?.Dispose();
        await OnStartingAsync().ConfigureAwait(false);
        if (_portChoice == ServerPort.AnyFree)
            Port = 0;
        _process = new ServerProcess(_executable, Arguments(), Directory, Lifetime);
        var process = _process;
        string name = Path.GetFileName(_executable);
        try
        {
        await Wait.UntilAsync(async () =>
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{name} exited during startup:\n{process.RecentOutput}");
            if (Port == 0)
            {
                var ports = ListeningPorts.Of(process.Id);
                if (ports.Count > 1)
                    throw new InvalidOperationException($"{name} listens on {ports.Count} ports ({string.Join(", ", ports)}), expected one");
                if (ports.Count == 0)
                    return false;
                Port = ports.Single();
            }
            try
            {
                return await IsReadyAsync().ConfigureAwait(false);
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, StartTimeout, $"{name} to answer on 127.0.0.1").ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; it printed:\n{process.RecentOutput}", e);
        }
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
        if (IsRunning)
            OnStopping();
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
