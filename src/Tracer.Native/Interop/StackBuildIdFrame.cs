using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tracer.Native.Interop;

/// <summary>
/// Mirror of the kernel's <c>struct bpf_stack_build_id</c>: one frame of a stack map made with
/// <c>BPF_F_STACK_BUILD_ID</c>, as the mapped file's build-id and the offset in that file, or, when the kernel could
/// not read the file's build-id, the address itself.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct StackBuildIdFrame
{
    /// <summary><c>BPF_STACK_BUILD_ID_EMPTY</c>: past the stack's last frame.</summary>
    public const int StatusEmpty = 0;

    /// <summary><c>BPF_STACK_BUILD_ID_VALID</c>: <see cref="BuildId"/> and a file offset.</summary>
    public const int StatusValid = 1;

    /// <summary><c>BPF_STACK_BUILD_ID_IP</c>: an address (no build-id in the file, or the memory map was busy).</summary>
    public const int StatusIp = 2;

    public const int BuildIdSize = 20;

    /// <summary>The build-id's bytes, as many as the file's note holds (20 for SHA-1, 16 for MD5), zero after.</summary>
    [InlineArray(BuildIdSize)]
    public struct BuildIdBytes
    {
        private byte _b;
    }

    public int Status;
    public BuildIdBytes BuildId;

    /// <summary>The offset in the file with <see cref="StatusValid"/>, the address with <see cref="StatusIp"/>.</summary>
    public ulong OffsetOrIp;
}
