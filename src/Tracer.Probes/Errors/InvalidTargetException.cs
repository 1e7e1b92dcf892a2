namespace Tracer.Probes;

/// <summary>What the user named as a target is not one: a command that is not found, a path that is not a cgroup.</summary>
public sealed class InvalidTargetException(string message) : Exception(message);
