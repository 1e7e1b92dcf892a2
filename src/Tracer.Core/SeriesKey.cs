namespace Tracer.Core;

/// <summary>Identity of one latency series: a process, its allocator, the operation and the size class.</summary>
public readonly record struct SeriesKey(int Pid, byte Allocator, AllocOp Op, byte SizeClass);
