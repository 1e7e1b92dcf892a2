using System.Runtime.InteropServices;

namespace Alloclat.Cli.Record;

/// <summary>
/// SIGINT and SIGTERM taken from the moment the run is checked, before any probe is placed: a signal that arrives
/// while the probes are being placed is kept and handed to the record loop when it starts, so it ends the run like
/// one that arrives later (everything collected is written), instead of killing alloclat by the runtime's default.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly object _gate = new();
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;
    private Action<PosixSignal>? _handler;
    private PosixSignal? _pending;

    public StopSignals()
    {
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Take);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Take);
    }

    /// <summary>From now on each signal calls <paramref name="handler"/>; the first one kept before that, at once.</summary>
    public void Deliver(Action<PosixSignal> handler)
    {
        PosixSignal? pending;
        lock (_gate)
        {
            _handler = handler;
            pending = _pending;
            _pending = null;
        }
        if (pending is { } signal)
            handler(signal);
    }

    private void Take(PosixSignalContext context)
    {
        context.Cancel = true;
        Action<PosixSignal>? handler;
        lock (_gate)
        {
            handler = _handler;
            if (handler is null)
                _pending ??= context.Signal;
        }
        handler?.Invoke(context.Signal);
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
    }
}
