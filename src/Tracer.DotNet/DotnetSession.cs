using Tracer.Native;
using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Tracer.DotNet;

/// <summary>
/// One EventPipe session with one .NET process: connects to its diagnostics socket, enables the runtime provider
/// with the GC keyword (verbose, for the allocation ticks) and parses the stream with TraceEvent on a thread of its
/// own until the session is stopped or the process exits. Pauses and ticks go to <c>emit</c>, which must be
/// thread-safe.
/// </summary>
internal sealed class DotnetSession
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";

    private readonly int _pid;
    private readonly string _socket;
    private readonly Action<DotnetEvent> _emit;
    private readonly Action<string> _warn;
    private readonly Action<string> _info;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _ended = new(false);
    private readonly object _gate = new();
    private EventPipeSession? _session;
    private volatile bool _stopping;
    private long _lost;

    public DotnetSession(int pid, string socket, Action<DotnetEvent> emit, Action<string> warn, Action<string> info)
    {
        _pid = pid;
        _socket = socket;
        _emit = emit;
        _warn = warn;
        _info = info;
        _thread = new Thread(Run) { Name = $"alloclat-dotnet-{pid}", IsBackground = true };
    }

    public int Pid => _pid;

    public bool HasEnded => _ended.IsSet;

    /// <summary>Events the runtime dropped because its session buffer was full.</summary>
    public long Lost => Interlocked.Read(ref _lost);

    public void Start() => _thread.Start();

    /// <summary>Asks the runtime to end the session; the stream then ends after what was buffered.</summary>
    public void RequestStop()
    {
        EventPipeSession? session;
        lock (_gate)
        {
            _stopping = true;
            session = _session;
        }
        if (session is null)
            return;
        try
        {
            session.Stop();
        }
        catch (Exception e) when (e is IOException or ServerNotAvailableException or TimeoutException or ObjectDisposedException
            or ServerErrorException or UnsupportedCommandException or System.Net.Sockets.SocketException)
        {
            // The process is gone or going: its stream ends by itself.
        }
    }

    public bool WaitEnded(TimeSpan timeout) => _ended.Wait(timeout);

    private void Run()
    {
        try
        {
            var client = Connect();
            if (client is null)
                return;
            var session = StartSession(client);
            lock (_gate)
            {
                _session = session;
                if (_stopping)
                {
                    session.Stop();
                }
            }
            _info($"process {_pid}: .NET runtime GC events through EventPipe ({_socket})");
            using (session)
            using (var source = new EventPipeEventSource(session.EventStream))
            {
                Subscribe(source);
                source.Process();
                Interlocked.Exchange(ref _lost, source.EventsLost);
            }
            if (!_stopping || !KernelSupport.ProcessRunning(_pid))
                _info($"process {_pid}: its .NET runtime ended the EventPipe session (the process exited)");
        }
        catch (Exception e) when (!IsFatal(e))
        {
            if (_stopping || !KernelSupport.ProcessRunning(_pid))
                return;
            _warn($"process {_pid} runs .NET but its EventPipe session failed ({e.GetType().Name}: {e.Message}); GC pauses and large-object samples are not traced, its syscalls are");
        }
        finally
        {
            _ended.Set();
        }
    }

    private DiagnosticsClient? Connect()
    {
        // A connector over a socket the runtime listens on holds no server of its own: nothing to dispose.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return DiagnosticsClientConnector.FromDiagnosticPort($"{_socket},connect", timeout.Token).GetAwaiter().GetResult().Instance;
    }

    private static EventPipeSession StartSession(DiagnosticsClient client)
    {
        var providers = new[] { new EventPipeProvider(RuntimeProvider, EventLevel.Verbose, (long)ClrTraceEventParser.Keywords.GC) };
        try
        {
            // No stacks and no rundown: the events are read live and only their payloads are needed (.NET 9+).
            return client.StartEventPipeSession(new EventPipeSessionConfiguration(providers, 16, requestRundown: false, requestStackwalk: false));
        }
        catch (Exception e) when (e is ServerErrorException or UnsupportedCommandException)
        {
            // Runtimes before .NET 9 refuse to turn stacks off.
            return client.StartEventPipeSession(providers, requestRundown: false, circularBufferMB: 16);
        }
    }

    private void Subscribe(EventPipeEventSource source)
    {
        var tracker = new GcPauseTracker();
        var clr = source.Clr;
        clr.GCSuspendEEStart += d => tracker.SuspendStart(d.TimeStampRelativeMSec, (int)d.Reason);
        clr.GCStart += d => tracker.GcStart(d.Depth, (int)d.Reason, (int)d.Type);
        clr.GCStop += d => tracker.GcEnd(d.Depth);
        clr.GCRestartEEStop += d =>
        {
            if (tracker.RestartEnd(d.TimeStampRelativeMSec, out var kind, out long ns))
                _emit(DotnetEvent.Pause(_pid, kind, ns));
        };
        clr.GCAllocationTick += d =>
        {
            var kind = (AllocationKind)(int)d.AllocationKind;
            if (kind != AllocationKind.Small)
                _emit(DotnetEvent.Tick(_pid, kind, d.AllocationAmount64, (long)d.ObjectSize, d.TypeName ?? ""));
        };
    }

    private static bool IsFatal(Exception e) => e is OutOfMemoryException or StackOverflowException or AccessViolationException;
}
