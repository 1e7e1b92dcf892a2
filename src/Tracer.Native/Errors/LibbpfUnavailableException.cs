namespace Tracer.Native;

/// <summary>libbpf could not be loaded, or is older than the collector needs.</summary>
public sealed class LibbpfUnavailableException(string message) : Exception(message);
