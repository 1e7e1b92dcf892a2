namespace Tracer.Core;

/// <summary>
/// Names of the .NET runtime's GC reasons and types (the values of GCStart's Reason and Type fields), as written
/// in the <c>reason</c> and <c>type</c> tags of <c>gc_pause</c>.
/// </summary>
public static class DotnetGcNames
{
    private static readonly string[] s_reasons =
    [
        "AllocSmall", "Induced", "LowMemory", "Empty", "AllocLarge", "OutOfSpaceSOH", "OutOfSpaceLOH",
        "InducedNotForced", "Internal", "InducedLowMemory", "InducedCompacting", "LowMemoryHost", "PMFullGC",
        "LowMemoryHostBlocking", "BGCTuningSOH", "BGCTuningLOH", "BGCStepping", "InducedAggressive",
    ];

    private static readonly string[] s_types = ["NonConcurrent", "Background", "Foreground"];

    /// <summary>The reason with value <paramref name="reason"/>; an unknown value is written as its number.</summary>
    public static string Reason(byte reason) =>
        reason < s_reasons.Length ? s_reasons[reason] : reason.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string Type(byte type) =>
        type < s_types.Length ? s_types[type] : type.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The reason that means a large-object allocation cost a collection.</summary>
    public const byte AllocLarge = 4;
}
