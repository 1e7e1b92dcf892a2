namespace Tracer.Probes;

/// <summary>
/// Whether the kernel keeps per-task delay accounting (<c>kernel.task_delayacct</c>). Without it the waits it
/// measures (swap-in, thrashing, block I/O, and its own reclaim and compaction figures) stay 0.
/// </summary>
public static class DelayAccounting
{
    public const string SysctlPath = "/proc/sys/kernel/task_delayacct";

    public static bool IsOn()
    {
        try
        {
            return File.ReadAllText(SysctlPath).Trim() == "1";
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
