namespace Tracer.Core;

/// <summary>
/// Why a Go runtime stopped the world: the <c>stwReason</c> it passes to <c>stopTheWorldWithSema</c> (Go 1.22 and
/// later), named after the runtime's own constants without their <c>stw</c> prefix (the same values from 1.22 to
/// 1.27). A series key carries the reason plus one, so that 0 means the release passes none.
/// </summary>
public static class GoStopReasons
{
    private static readonly string[] s_names =
    [
        "Unknown", "GCMarkTerm", "GCSweepTerm", "WriteHeapDump", "GoroutineProfile", "GoroutineProfileCleanup",
        "AllGoroutinesStack", "ReadMemStats", "AllThreadsSyscall", "GOMAXPROCS", "StartTrace", "StopTrace",
        "ForTestCountPagesInUse", "ForTestReadMetricsSlow", "ForTestReadMemStatsSlow", "ForTestPageCachePagesLeaked",
        "ForTestResetDebugLog",
    ];

    /// <summary>The name of the runtime's reason <paramref name="reason"/>; a value this table lacks is written as its number.</summary>
    public static string Name(byte reason) =>
        reason < s_names.Length ? s_names[reason] : reason.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
