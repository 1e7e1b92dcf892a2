using Tmds.Linux;

namespace Tracer.Native;

/// <summary>The host name points are tagged with.</summary>
public static unsafe partial class KernelSupport
{
    public static string HostName()
    {
        byte* buf = stackalloc byte[256];
        if (LibC.gethostname(buf, 256) != 0)
            return "unknown";
        return new string((sbyte*)buf);
    }
}
