using System.Runtime.InteropServices;

namespace Tracer.Native.Interop;

/// <summary>Mirror of <c>struct hold_lease</c>: while it is valid the exec hook stops targets for the collector.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct HoldLease
{
    public ulong RenewedNs;
    public ulong ValidNs;
}
