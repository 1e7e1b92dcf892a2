using System.Text;
using Tmds.Linux;

namespace Tracer.Native;

/// <summary>Checks of the host that turn a missing privilege or kernel feature into one clear sentence.</summary>
public static unsafe class KernelSupport
{
    public const string DefaultBtfPath = "/sys/kernel/btf/vmlinux";
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

    /// <summary>
    /// Returns the BTF path to hand to libbpf: null for the kernel's own, or the user's file. Throws when neither
    /// exists, because the probes are CO-RE and cannot be relocated without type information.
    /// </summary>
    public static string? ResolveBtf(string? userPath)
    {
        if (userPath is not null)
        {
            if (!File.Exists(userPath))
                throw new KernelFeatureMissingException($"BTF file {userPath} (--btf) does not exist");
            return userPath;
        }
        if (File.Exists(DefaultBtfPath))
            return null;
        throw new KernelFeatureMissingException(
            $"this kernel has no BTF ({DefaultBtfPath} is missing): use a kernel built with CONFIG_DEBUG_INFO_BTF=y, or pass --btf FILE");
    }

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

    public static bool ProcessExists(int pid) => pid > 0 && Directory.Exists($"/proc/{pid}");

    /// <summary>
    /// True while the process can still run: it exists and is not a zombie. A target whose parent has not reaped it
    /// yet has exited all the same.
    /// </summary>
    public static bool ProcessRunning(int pid) => ProcessState(pid) is not ('\0' or 'Z' or 'X');

    /// <summary>The process's state letter in /proc/PID/stat (R, S, T, Z, ...), or NUL when it does not exist.</summary>
    public static char ProcessState(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length ? stat[close + 2] : '\0';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return '\0';
        }
    }

    public static string HostName()
    {
        byte* buf = stackalloc byte[256];
        if (LibC.gethostname(buf, 256) != 0)
            return "unknown";
        return new string((sbyte*)buf);
    }

    /// <summary>The kernel's dev_t for a userspace st_dev (glibc's encoding), as BPF reads it from a superblock.</summary>
    public static ulong KernelDevice(ulong stDev)
    {
        ulong major = ((stDev >> 32) & 0xfffff000UL) | ((stDev >> 8) & 0xfffUL);
        ulong minor = ((stDev >> 12) & 0xffffff00UL) | (stDev & 0xffUL);
        return (major << 20) | minor;
    }

    /// <summary>Inode and kernel device of a file, following symlinks.</summary>
    public static (ulong Inode, ulong Device) FileIdentity(string path)
    {
        byte[] p = Encoding.UTF8.GetBytes(path + "\0");
        stat st;
        fixed (byte* pp = p)
        {
            if (LibC.stat(pp, &st) != 0)
                throw new FileNotFoundException($"cannot stat {path}", path);
        }
        return ((ulong)st.st_ino, KernelDevice((ulong)st.st_dev));
    }
}
