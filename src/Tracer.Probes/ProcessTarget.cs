using Tracer.Native;

namespace Tracer.Probes;

/// <summary>
/// Whether a process given by pid can be a target: it exists, and it can make a traced call. A kernel thread or a
/// zombie would be traced for nothing, in silence, so each is refused in one sentence that says which it is.
/// </summary>
public static class ProcessTarget
{
    /// <summary>Returns when the process can be traced; throws what it is otherwise.</summary>
    /// <exception cref="TargetGoneException">no such process</exception>
    /// <exception cref="UntraceableProcessException">a kernel thread or a zombie</exception>
    public static void Require(int pid)
    {
        if (pid <= 0 || ProcessStat.Read(pid) is not { } stat)
            throw new TargetGoneException(pid, $"process {pid} does not exist");
        if (stat.IsKernelThread)
            throw new UntraceableProcessException(pid,
                $"process {pid} ({stat.Comm}) is a kernel thread: it has no user memory and makes no allocation to trace");
        if (stat.IsZombie)
            throw new UntraceableProcessException(pid,
                $"process {pid} ({stat.Comm}) is a zombie: it has exited and waits for its parent to reap it; there is nothing left to trace");
    }
}
