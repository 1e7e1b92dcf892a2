namespace Tracer.Probes;

/// <summary>The process exists, but its maps or executables cannot be read (another user namespace, ptrace rules).</summary>
public sealed class TargetAccessDeniedException(int pid, string message) : Exception(message)
{
    public int Pid { get; } = pid;
}
