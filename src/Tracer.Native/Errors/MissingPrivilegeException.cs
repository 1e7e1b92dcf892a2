namespace Tracer.Native;

/// <summary>This process lacks the privilege to load or attach BPF programs (root, or CAP_BPF with CAP_PERFMON).</summary>
public sealed class MissingPrivilegeException(string message) : Exception(message);
