using System.Globalization;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// The cause of a slow call (<c>alloc_spike</c>'s <c>cause</c> tag) in words, with the amount behind it:
/// <c>page population 65536 faults</c>, <c>direct reclaim 12.0 ms</c>. Causes this table does not know are still
/// shown: their name in words, with the field named after them (<c>NAME_ns</c> as a time, <c>NAME</c> as a count)
/// when the point carries one.
/// </summary>
internal static class SpikeCauseWords
{
    private enum Amount { None, Time, Count }

    private static readonly Dictionary<string, (string Words, string? Field, Amount Kind, string Unit)> s_known = new(StringComparer.Ordinal)
    {
        ["page_population"] = ("page population", Schema.Fields.Faults, Amount.Count, "faults"),
        ["page_faults"] = ("page faults", Schema.Fields.Faults, Amount.Count, "faults"),
        ["on_cpu"] = ("on CPU", Schema.Fields.OnCpuNs, Amount.Time, ""),
        ["reclaim"] = ("direct reclaim", Schema.Fields.ReclaimNs, Amount.Time, ""),
        ["direct_reclaim"] = ("direct reclaim", Schema.Fields.ReclaimNs, Amount.Time, ""),
        ["compaction"] = ("compaction", Schema.Fields.CompactionNs, Amount.Time, ""),
        ["preempted"] = ("preempted", Schema.Fields.RunqueueNs, Amount.Time, ""),
        ["off_cpu"] = ("blocked", Schema.Fields.BlockedNs, Amount.Time, ""),
        ["io"] = ("block I/O", Schema.Fields.IoNs, Amount.Time, ""),
        ["swapin"] = ("swap-in", Schema.Fields.SwapinNs, Amount.Time, ""),
        ["thrashing"] = ("thrashing", Schema.Fields.ThrashingNs, Amount.Time, ""),
        ["mmap_lock"] = ("waiting for mmap_lock", Schema.Fields.MmapLockNs, Amount.Time, ""),
        ["unknown"] = ("cause unknown (returned on another thread)", null, Amount.None, ""),
    };

    /// <summary>The cause is a tag of the point (older files carry it as a string field).</summary>
    public static string Describe(EventPoint spike)
    {
        string? cause = spike.Tag(Schema.Tags.Cause) ?? (spike.Field("cause") is { Kind: FieldKind.String } f ? f.String : null);
        if (string.IsNullOrEmpty(cause))
            return "";
        cause = ScreenText.Clean(cause);
        if (s_known.TryGetValue(cause, out var known))
            return known.Field is { } name && spike.Field(name) is { Kind: FieldKind.Integer } v
                ? $"{known.Words} {Format(v.Integer, known.Kind, known.Unit)}"
                : known.Words;
        string words = cause.Replace('_', ' ');
        if (spike.Field(cause + "_ns") is { Kind: FieldKind.Integer } time)
            return $"{words} {HumanUnits.LatencyWords(time.Integer)}";
        if (spike.Field(cause) is { Kind: FieldKind.Integer } count)
            return $"{words} {count.Integer.ToString(CultureInfo.InvariantCulture)}";
        return words;
    }

    private static string Format(long value, Amount kind, string unit) => kind == Amount.Time
        ? HumanUnits.LatencyWords(value)
        : value.ToString(CultureInfo.InvariantCulture) + (unit.Length == 0 ? "" : value == 1 ? " " + unit.TrimEnd('s') : " " + unit);
}
