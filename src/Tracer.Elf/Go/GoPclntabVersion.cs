namespace Tracer.Elf.Go;

/// <summary>The pclntab layouts this library reads, named by the first Go release that wrote each.</summary>
public enum GoPclntabVersion
{
    /// <summary>Go 1.16 and 1.17, magic 0xFFFFFFFA: pointer-sized function table entries.</summary>
    Go116,

    /// <summary>Go 1.18 and 1.19, magic 0xFFFFFFF0: 32-bit text-relative function table entries.</summary>
    Go118,

    /// <summary>Go 1.20 and later, magic 0xFFFFFFF1: same table layout as 1.18.</summary>
    Go120,
}
