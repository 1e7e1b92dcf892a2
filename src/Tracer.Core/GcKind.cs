namespace Tracer.Core;

/// <summary>
/// What a .NET collection was, as the runtime reports it in its GCStart event: the generation collected, why
/// (<see cref="DotnetGcNames.Reason"/>) and how (<see cref="DotnetGcNames.Type"/>). <see cref="Known"/> is false
/// for pauses that carry no such detail (Go's).
/// </summary>
public readonly record struct GcKind(bool Known, byte Generation, byte Reason, byte Type);
