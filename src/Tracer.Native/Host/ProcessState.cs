namespace Tracer.Native;

/// <summary>Whether a process can still run.</summary>
public static partial class KernelSupport
{
    /// <summary>
    /// True while the process can still run: it exists and is not a zombie. A target whose parent has not reaped it
    /// yet has exited all the same.
    /// </summary>
    public static bool ProcessRunning(int pid) => ProcessState(pid) is not ('\0' or 'Z' or 'X');

    /// <summary>The process's state letter in /proc/PID/stat (R, S, T, Z, ...), or NUL when it does not exist.</summary>
    public static char ProcessState(int pid) => ProcessStat.Read(pid)?.State ?? '\0';
}
