using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace Tracer.Native;

/// <summary>Named pipes (FIFOs): created private to the owner, and opened for writing without waiting for a reader.</summary>
public static unsafe class Fifo
{
    /// <summary>Creates a FIFO readable and writable by its owner only (0600).</summary>
    public static void Create(string path)
    {
        byte[] p = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* pp = p)
        {
            if (LibC.mkfifo(pp, LibC.S_IRUSR | LibC.S_IWUSR) != 0)
                throw new IOException($"mkfifo {path} failed ({Errno.Describe(Marshal.GetLastPInvokeError())})");
        }
    }

    /// <summary>
    /// Opens the FIFO for writing. A blocking open would wait for a reader forever, so this fails at once with an
    /// <see cref="IOException"/> while no process has it open for reading.
    /// </summary>
    public static SafeFileHandle OpenWriter(string path)
    {
        byte[] p = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* pp = p)
        {
            int fd = LibC.open(pp, LibC.O_WRONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
            if (fd < 0)
                throw new IOException($"no reader on {path} yet");
            return new SafeFileHandle(fd, ownsHandle: true);
        }
    }
}
