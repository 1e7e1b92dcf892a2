namespace Tracer.Native;

/// <summary>The kernel lacks something the probes need (BTF, tracefs); the message says what and how to get it.</summary>
public sealed class KernelFeatureMissingException(string message) : Exception(message);
