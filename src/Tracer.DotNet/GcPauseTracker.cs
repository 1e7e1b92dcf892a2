using Tracer.Core;

namespace Tracer.DotNet;

/// <summary>
/// Turns the runtime's suspension and GC events into pauses: a pause lasts from SuspendEEStart to RestartEEEnd
/// (the threads are stopped from the first to the last), and belongs to the collection that started within it.
/// A background collection pauses twice (at its start and, SuspendForGCPrep, before its final mark) and runs
/// between them beside foreground collections that pause on their own; its second pause has no GCStart and is
/// counted for the background collection in progress. Suspensions not made for a GC (the debugger, shutdown)
/// are not pauses of a collection and are skipped, as is a pause whose collection began before the session.
/// Fed from one thread (the session's).
/// </summary>
public sealed class GcPauseTracker
{
    public const int SuspendForGC = 1;
    public const int SuspendForGCPrep = 6;
    public const byte Background = 1;

    private double _suspendedAtMs = double.NaN;
    private GcKind? _inPause;
    private GcKind? _background;

    public void SuspendStart(double timeMs, int suspendReason)
    {
        _suspendedAtMs = suspendReason is SuspendForGC or SuspendForGCPrep ? timeMs : double.NaN;
        _inPause = null;
    }

    public void GcStart(int generation, int reason, int type)
    {
        var kind = new GcKind(true, (byte)Math.Clamp(generation, 0, 255), (byte)Math.Clamp(reason, 0, 255), (byte)Math.Clamp(type, 0, 255));
        if (kind.Type == Background)
            _background = kind;
        if (!double.IsNaN(_suspendedAtMs))
            _inPause = kind;
    }

    public void GcEnd(int generation)
    {
        // Foreground collections during a background one are ephemeral; the gen 2 end is the background's.
        if (generation >= 2)
            _background = null;
    }

    /// <summary>The pause that ended here, if it was one of a collection this session saw begin.</summary>
    public bool RestartEnd(double timeMs, out GcKind kind, out long pauseNs)
    {
        kind = default;
        pauseNs = 0;
        if (double.IsNaN(_suspendedAtMs))
            return false;
        var owner = _inPause ?? _background;
        double start = _suspendedAtMs;
        _suspendedAtMs = double.NaN;
        _inPause = null;
        if (owner is not { } k)
            return false;
        kind = k;
        pauseNs = Math.Max(0, (long)Math.Round((timeMs - start) * 1_000_000));
        return true;
    }
}
