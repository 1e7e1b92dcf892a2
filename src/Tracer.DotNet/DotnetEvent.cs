using Tracer.Core;

namespace Tracer.DotNet;

/// <summary>What a session's parsing thread hands to the polling thread: a finished pause or an allocation tick.</summary>
internal readonly record struct DotnetEvent(
    int Pid, bool IsPause, GcKind Gc, long PauseNs, AllocationKind Kind, long Amount, long ObjectSize, string? TypeName)
{
    public static DotnetEvent Pause(int pid, GcKind gc, long ns) => new(pid, true, gc, ns, default, 0, 0, null);

    public static DotnetEvent Tick(int pid, AllocationKind kind, long amount, long objectSize, string typeName) =>
        new(pid, false, default, 0, kind, amount, objectSize, typeName);
}
