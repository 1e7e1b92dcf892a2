using System.Globalization;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// The cause of a slow call (<c>alloc_spike</c>'s <c>cause</c> field) in words, with the amount behind it:
/// <c>page population 65536 faults</c>, <c>direct reclaim 12.0 ms</c>. Causes this table does not know are still
/// shown: their name in words, with the field named after them (<c>NAME_ns</c> as a time, <c>NAME</c> as a count)
/// when the point carries one.
/// </summary>
internal static class SpikeCauseWords
{
    private enum Amount { None, Time, Count }

    private static readonly Dictionary<string, (string Words, string? Field, Amount Kind, string Unit)> s_known = new(StringComparer.Ordinal)
    {
        ["page_faults"] = ("page population", "faults", Amount.Count, "faults"),
        ["direct_reclaim"] = ("direct reclaim", "reclaim_ns", Amount.Time, ""),
        ["compaction"] = ("compaction", "compaction_ns", Amount.Time, ""),
        ["mmap_lock"] = ("waiting for mmap_lock", "mmap_lock_ns", Amount.Time, ""),
        ["off_cpu"] = ("off CPU", "off_cpu_ns", Amount.Time, ""),
        ["on_cpu"] = ("on CPU in the call", null, Amount.None, ""),
    };

    public static string Describe(EventPoint spike)
    {
        if (spike.Field("cause") is not { Kind: FieldKind.String } causeField || causeField.String.Length == 0)
            return "";
        string cause = causeField.String;
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
