namespace Tracer.Core;

/// <summary>
/// Allocator identifiers as carried in events (<c>alloc_event.allocator</c>). Ids below
/// <see cref="FirstDynamic"/> are fixed; higher ids name other libraries exporting the malloc family
/// (an LD_PRELOAD allocator, say) and are assigned when the probe plan is built.
/// </summary>
public static class Allocators
{
    public const byte Kernel = 0;
    public const byte Glibc = 1;
    public const byte Jemalloc = 2;
    public const byte Tcmalloc = 3;
    public const byte Mimalloc = 4;
    public const byte Go = 5;
    public const byte Dotnet = 6;

    /// <summary>The collector's own calibration functions, probed in the collector only: never a target's series.</summary>
    public const byte Calibration = 7;
    public const byte FirstDynamic = 16;

    private static readonly string[] s_fixed = ["kernel", "glibc", "jemalloc", "tcmalloc", "mimalloc", "go", "dotnet", "calibration"];
    private static readonly string?[] s_names = new string?[256];
    private static readonly object s_gate = new();
    private static int s_nextDynamic = FirstDynamic;

    static Allocators()
    {
        for (int i = 0; i < s_fixed.Length; i++)
            s_names[i] = s_fixed[i];
    }

    public static string Name(byte id) => s_names[id] ?? "unknown";

    /// <summary>Returns the id of a named allocator, registering a new dynamic id for an unknown name.</summary>
    public static byte IdOf(string name)
    {
        lock (s_gate)
        {
            for (int i = 0; i < s_names.Length; i++)
                if (s_names[i] == name)
                    return (byte)i;
            if (s_nextDynamic > 255)
                throw new InvalidOperationException("too many distinct allocator libraries");
            s_names[s_nextDynamic] = name;
            return (byte)s_nextDynamic++;
        }
    }
}
