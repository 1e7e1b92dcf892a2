namespace Tracer.Probes;

/// <summary>The process to trace does not exist, or exited before it could be inspected.</summary>
public sealed class TargetGoneException(int pid, string message) : Exception(message)
{
    public int Pid { get; } = pid;
}
