namespace Tracer.Probes;

/// <summary>A binary in which nothing can be probed (a Go release too old, no large-object function found).</summary>
public sealed class UnprobeableBinaryException(string message) : Exception(message);
