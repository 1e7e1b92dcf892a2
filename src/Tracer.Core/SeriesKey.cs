namespace Tracer.Core;

/// <summary>
/// Identity of one latency series: a process, its allocator, the operation and the size class. GC pauses of a
/// runtime that reports them (.NET) are further split by <see cref="Gc"/>; Go's by why the world was stopped
/// (<see cref="GoStopReason"/>: the runtime's stwReason plus one, 0 when the release passes none); with
/// <c>--per-thread</c> series are also split by thread (<see cref="Tid"/>, 0 otherwise).
/// </summary>
public readonly record struct SeriesKey(int Pid, byte Allocator, AllocOp Op, byte SizeClass, GcKind Gc = default, int Tid = 0, byte GoStopReason = 0);
