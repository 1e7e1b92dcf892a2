using System.Runtime.InteropServices;
using System.Text;
using Tracer.Native.Interop;

namespace Tracer.Native;

/// <summary>
/// uprobe_multi links (<c>BPF_LINK_TYPE_UPROBE_MULTI</c>, Linux 6.6+): one program at many offsets of one file, as
/// one link descriptor. libbpf 1.1 has no wrapper for them, so they are made with the bpf system call itself.
/// </summary>
/// <remarks>
/// Why they matter: a perf-event uprobe is removed under the kernel's global <c>event_mutex</c>, and each removal waits
/// for its own RCU grace period inside it, so removals are serialised host-wide (one grace period each, whatever the
/// number of threads closing them) and every uprobe being created waits behind them. An uprobe_multi link takes
/// no such lock, removes all its uprobes with one grace period, and removals closed from several threads share
/// their grace periods. Its pid filter is the process (thread group), as for a perf-event uprobe with a pid, on
/// kernels with the fix that <see cref="Supported"/> checks for.
/// </remarks>
internal static unsafe class UprobeMultiLink
{
    private const int BPF_PROG_LOAD = 5;
    private const int BPF_LINK_CREATE = 28;
    private const int BPF_PROG_TYPE_KPROBE = 2;
    /// <summary><c>BPF_TRACE_UPROBE_MULTI</c> of <c>enum bpf_attach_type</c>.</summary>
    public const int AttachType = 48;
    private const uint BPF_F_UPROBE_MULTI_RETURN = 1;

    private static readonly Lazy<bool> s_supported = new(Probe);

    /// <summary>The bpf system call's number on this architecture, or 0 where this code does not know it.</summary>
    private static long SysBpf => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 => 280,
        _ => 0,
    };

    /// <summary>
    /// Whether this kernel makes uprobe_multi links that filter by process: a program of that attach type loads,
    /// a link on a directory is refused as not a regular file (EBADF: the kernel read the uprobe_multi attributes),
    /// and a negative pid is refused before the path is looked at (EINVAL: the pid filter is a thread group's,
    /// not the one thread's it was before that fix).
    /// </summary>
    public static bool Supported => s_supported.Value;

    private static bool Probe()
    {
        if (SysBpf == 0)
            return false;
        int prog = LoadTrivialProgram();
        if (prog < 0)
            return false;
        try
        {
            ulong offset = 0;
            if (Create(prog, 0, "/", &offset, null, 1, retprobe: false, out int errno) is int fd and >= 0)
            {
                Tmds.Linux.LibC.close(fd);
                return false;
            }
            if (errno != Errno.EBADF)
                return false;
            if (Create(prog, -1, "/", &offset, null, 1, retprobe: false, out errno) is int fd2 and >= 0)
            {
                Tmds.Linux.LibC.close(fd2);
                return false;
            }
            return errno == Errno.EINVAL;
        }
        finally
        {
            Tmds.Linux.LibC.close(prog);
        }
    }

    /// <summary><c>r0 = 0; exit</c> as a kprobe-type program of the uprobe_multi attach type; -1 when refused.</summary>
    private static int LoadTrivialProgram()
    {
        ulong* insns = stackalloc ulong[2];
        insns[0] = 0xb7; // BPF_ALU64 | BPF_MOV | BPF_K, dst r0, imm 0
        insns[1] = 0x95; // BPF_JMP | BPF_EXIT
        byte* license = stackalloc byte[4];
        license[0] = (byte)'G';
        license[1] = (byte)'P';
        license[2] = (byte)'L';
        license[3] = 0;
        var attr = new ProgLoadAttr
        {
            prog_type = BPF_PROG_TYPE_KPROBE,
            insn_cnt = 2,
            insns = (ulong)insns,
            license = (ulong)license,
            expected_attach_type = AttachType,
        };
        return (int)NativeMethods.bpf_syscall(SysBpf, BPF_PROG_LOAD, &attr, (uint)sizeof(ProgLoadAttr));
    }

    /// <summary>
    /// Attaches program <paramref name="programFd"/> at every offset of <paramref name="path"/>, each with its cookie,
    /// in process <paramref name="pid"/> only (0: every process mapping the file). Returns the link's descriptor.
    /// </summary>
    public static int Attach(int programFd, int pid, string path, ReadOnlySpan<ulong> offsets, ReadOnlySpan<ulong> cookies, bool retprobe)
    {
        if (offsets.Length == 0 || cookies.Length != offsets.Length)
            throw new ArgumentException("one cookie per offset, and at least one offset");
        fixed (ulong* pOffsets = offsets)
        fixed (ulong* pCookies = cookies)
        {
            int fd = Create(programFd, pid, path, pOffsets, pCookies, (uint)offsets.Length, retprobe, out int errno);
            if (fd < 0)
                throw new LibbpfException($"bpf(BPF_LINK_CREATE, uprobe_multi, {path}+0x{offsets[0]:x}{(offsets.Length > 1 ? $" and {offsets.Length - 1} more" : "")})", errno);
            return fd;
        }
    }

    private static int Create(int programFd, int pid, string path, ulong* offsets, ulong* cookies, uint count, bool retprobe, out int errno)
    {
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* pName = name)
        {
            var attr = new LinkCreateUprobeMultiAttr
            {
                prog_fd = (uint)programFd,
                attach_type = AttachType,
                path = (ulong)pName,
                offsets = (ulong)offsets,
                cookies = (ulong)cookies,
                cnt = count,
                flags = retprobe ? BPF_F_UPROBE_MULTI_RETURN : 0,
                pid = (uint)pid,
            };
            int fd = (int)NativeMethods.bpf_syscall(SysBpf, BPF_LINK_CREATE, &attr, (uint)sizeof(LinkCreateUprobeMultiAttr));
            errno = fd < 0 ? Libbpf.LastErrno() : 0;
            return fd;
        }
    }
}
