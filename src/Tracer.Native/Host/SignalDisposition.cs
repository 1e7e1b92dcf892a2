using System.Globalization;

namespace Tracer.Native;

/// <summary>Signals this process ignores, as its parent left them (a disposition survives exec).</summary>
public static partial class KernelSupport
{
    /// <summary>
    /// Whether <paramref name="signal"/> is ignored by this process now (<c>SigIgn</c> of /proc/self/status). A
    /// shell without job control starts a command given with <c>&amp;</c> so for SIGINT and SIGQUIT, and the .NET
    /// runtime then keeps SIGINT ignored whatever handler is registered for it.
    /// </summary>
    public static bool SignalIgnored(int signal)
    {
        if (signal is < 1 or > 64)
            return false;
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("SigIgn:", StringComparison.Ordinal))
                    return (ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) >> (signal - 1) & 1) != 0;
        }
        catch (IOException)
        {
        }
        return false;
    }
}
