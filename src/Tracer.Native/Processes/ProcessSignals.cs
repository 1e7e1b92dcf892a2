using Tmds.Linux;

namespace Tracer.Native;

/// <summary>The signals the collector sends to other processes. Each returns false when the process is gone.</summary>
public static class ProcessSignals
{
    /// <summary>SIGCONT: continues a process stopped at exec.</summary>
    public static bool Continue(int pid) => LibC.kill(pid, LibC.SIGCONT) == 0;

    /// <summary>SIGTERM: asks a process to end, as timeout(1) does when its time is up.</summary>
    public static bool Terminate(int pid) => LibC.kill(pid, LibC.SIGTERM) == 0;

    /// <summary>SIGINT: what the process would get from Ctrl-C in its terminal.</summary>
    public static bool Interrupt(int pid) => LibC.kill(pid, LibC.SIGINT) == 0;
}
