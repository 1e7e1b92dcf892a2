namespace Tracer.Elf.Loader;

/// <summary>One library entry of <c>/etc/ld.so.cache</c>.</summary>
/// <param name="Name">The soname ldconfig indexed (the key ld.so looks up).</param>
/// <param name="Path">The full path ld.so opens for it.</param>
/// <param name="Flags">Library type and ABI: 0x0303 is a 64-bit x86-64 glibc library (<c>libc6,x86-64</c>).</param>
/// <param name="OsVersion">Required minimum kernel version (0 when none).</param>
/// <param name="Hwcap">Hardware capability bits; bit 62 marks a <c>glibc-hwcaps</c> subdirectory entry.</param>
public sealed record LdSoCacheEntry(string Name, string Path, int Flags, uint OsVersion, ulong Hwcap)
{
    /// <summary>True for the entries ld.so on x86-64 accepts (FLAG_ELF_LIBC6 | FLAG_X8664_LIB64).</summary>
    public bool IsX86_64 => Flags == LdSoCache.FlagsX86_64;

    /// <summary>True when the entry lives in a glibc-hwcaps subdirectory, which ld.so only uses on CPUs of that level.</summary>
    public bool IsHwcapsSubdirectory => (Hwcap & (1UL << 62)) != 0;
}
