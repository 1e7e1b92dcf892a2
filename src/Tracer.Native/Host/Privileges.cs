using Tmds.Linux;

namespace Tracer.Native;

/// <summary>Host checks: the privileges loading and attaching probes needs.</summary>
public static partial class KernelSupport
{
    private const int CapSysAdmin = 21, CapPerfmon = 38, CapBpf = 39;

    /// <summary>Root, or CAP_BPF with CAP_PERFMON (or CAP_SYS_ADMIN), is needed to load and attach probes.</summary>
    public static void RequirePrivileges()
    {
        if (LibC.geteuid() == 0)
            return;
        ulong caps = EffectiveCapabilities();
        bool bpf = (caps & (1UL << CapBpf)) != 0 || (caps & (1UL << CapSysAdmin)) != 0;
        bool perfmon = (caps & (1UL << CapPerfmon)) != 0 || (caps & (1UL << CapSysAdmin)) != 0;
        if (bpf && perfmon)
            return;
        throw new MissingPrivilegeException(
            "alloclat needs root, or CAP_BPF and CAP_PERFMON, to load BPF probes: run it with sudo");
    }

    /// <summary>The effective capability set of this process, from /proc/self/status.</summary>
    public static ulong EffectiveCapabilities()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                return Convert.ToUInt64(line[7..].Trim(), 16);
        return 0;
    }
}
