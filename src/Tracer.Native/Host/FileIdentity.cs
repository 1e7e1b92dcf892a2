using System.Text;
using Tmds.Linux;

namespace Tracer.Native;

/// <summary>Files as the kernel identifies them (inode and dev_t), as BPF compares them.</summary>
public static unsafe partial class KernelSupport
{
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
