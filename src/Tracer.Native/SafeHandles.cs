using System.Runtime.InteropServices;
using Tracer.Native.Interop;

namespace Tracer.Native;

/// <summary>A native pointer that is invalid when zero.</summary>
public abstract class SafeHandleZeroIsInvalid : SafeHandle
{
    protected SafeHandleZeroIsInvalid() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;
}

/// <summary>Owns a <c>struct bpf_object</c>: closing it unloads its programs and maps.</summary>
public sealed class SafeBpfObjectHandle : SafeHandleZeroIsInvalid
{
    internal SafeBpfObjectHandle(nint h) => SetHandle(h);

    public SafeBpfObjectHandle() { }

    protected override bool ReleaseHandle()
    {
        NativeMethods.bpf_object__close(handle);
        return true;
    }
}

/// <summary>Owns a <c>struct bpf_link</c>: releasing it detaches the probe, even after a crash mid-attach.</summary>
public sealed class SafeBpfLinkHandle : SafeHandleZeroIsInvalid
{
    internal SafeBpfLinkHandle(nint h) => SetHandle(h);

    public SafeBpfLinkHandle() { }

    protected override bool ReleaseHandle() => NativeMethods.bpf_link__destroy(handle) == 0;
}

/// <summary>Owns a BPF link's file descriptor made without libbpf (an uprobe_multi link): closing it detaches.</summary>
public sealed class SafeBpfLinkFdHandle : SafeHandle
{
    internal SafeBpfLinkFdHandle(int fd) : base(-1, ownsHandle: true) => SetHandle(fd);

    public SafeBpfLinkFdHandle() : base(-1, ownsHandle: true) { }

    public override bool IsInvalid => (int)handle < 0;

    protected override bool ReleaseHandle() => Tmds.Linux.LibC.close((int)handle) == 0;
}

/// <summary>Owns a <c>struct perf_buffer</c> and its per-CPU ring mappings.</summary>
public sealed class SafePerfBufferHandle : SafeHandleZeroIsInvalid
{
    internal SafePerfBufferHandle(nint h) => SetHandle(h);

    public SafePerfBufferHandle() { }

    protected override bool ReleaseHandle()
    {
        NativeMethods.perf_buffer__free(handle);
        return true;
    }
}
