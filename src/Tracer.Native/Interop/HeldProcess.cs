using System.Runtime.InteropServices;

namespace Tracer.Native.Interop;

/// <summary>Mirror of <c>struct held_process</c>: why and since when a process is stopped for its probes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct HeldProcess
{
    public const uint KindExec = 0, KindFork = 1;

    public ulong SinceNs;
    public uint Kind;
    public uint Parent;
}
