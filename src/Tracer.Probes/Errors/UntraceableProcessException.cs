namespace Tracer.Probes;

/// <summary>
/// The process exists but can never make a traced call: a kernel thread (no user memory, no executable) or a zombie
/// (exited, waiting for its parent to reap it).
/// </summary>
public sealed class UntraceableProcessException(int pid, string message) : Exception(message)
{
    public int Pid { get; } = pid;
}
