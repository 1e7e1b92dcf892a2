using System.Text;
using Tmds.Linux;

namespace Tracer.Native;

/// <summary>Host checks: tracefs, through which libbpf resolves tracepoint ids.</summary>
public static unsafe partial class KernelSupport
{
    /// <summary>libbpf resolves tracepoint ids through tracefs; mount it where the kernel expects it if needed.</summary>
    public static void EnsureTracefs()
    {
        const string Tracefs = "/sys/kernel/tracing", Debugfs = "/sys/kernel/debug/tracing";
        if (Directory.Exists(Tracefs + "/events") || Directory.Exists(Debugfs + "/events"))
            return;
        byte[] src = Encoding.ASCII.GetBytes("tracefs\0"), dst = Encoding.ASCII.GetBytes(Tracefs + "\0");
        fixed (byte* s = src)
        fixed (byte* d = dst)
        {
            if (LibC.mount(s, d, s, 0, null) == 0 && Directory.Exists(Tracefs + "/events"))
                return;
        }
        throw new KernelFeatureMissingException(
            $"tracefs is not mounted and could not be mounted: run 'mount -t tracefs tracefs {Tracefs}'");
    }
}
