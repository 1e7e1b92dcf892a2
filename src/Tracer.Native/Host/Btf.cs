namespace Tracer.Native;

/// <summary>Host checks: the kernel type information (BTF) the CO-RE probes are relocated with.</summary>
public static partial class KernelSupport
{
    public const string DefaultBtfPath = "/sys/kernel/btf/vmlinux";

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
}
