using System.Globalization;
using System.Text;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>What the series of a screen or a summary are ordered by.</summary>
public enum SeriesOrder
{
    P999,
    P99,
    P50,
    Max,
    Count,
    Pid,
}

/// <summary>
/// The series table of the live screen and the run summary: one row per series, columns kept whole (a screen too
/// narrow for every column shows the ones that fit, never half a number).
/// </summary>
internal static class SeriesRows
{
    private static readonly (string Title, int Width, bool Right)[] s_columns =
    [
        ("PID", 7, true), ("COMM", 15, false), ("ALLOCATOR", 10, false), ("OP", 14, false), ("SIZE", 5, false),
        ("COUNT", 9, true), ("P50", 8, true), ("P99", 8, true), ("P99.9", 8, true), ("MAX", 8, true),
    ];

    public static string Name(SeriesOrder order) => order switch
    {
        SeriesOrder.P999 => "p99.9",
        SeriesOrder.P99 => "p99",
        SeriesOrder.P50 => "p50",
        SeriesOrder.Max => "max",
        SeriesOrder.Count => "count",
        _ => "pid",
    };

    public static SeriesOrder Next(SeriesOrder order) => (SeriesOrder)(((int)order + 1) % (Enum.GetValues<SeriesOrder>().Length));

    /// <summary>Latency and count orders put the largest first; pid order is ascending. Ties go by pid, allocator, op, size.</summary>
    public static List<SeriesSnapshot> Sort(IEnumerable<SeriesSnapshot> series, SeriesOrder order)
    {
        var list = series.ToList();
        list.Sort((a, b) =>
        {
            int c = order switch
            {
                SeriesOrder.P999 => b.Stats.P999.CompareTo(a.Stats.P999),
                SeriesOrder.P99 => b.Stats.P99.CompareTo(a.Stats.P99),
                SeriesOrder.P50 => b.Stats.P50.CompareTo(a.Stats.P50),
                SeriesOrder.Max => b.Stats.Max.CompareTo(a.Stats.Max),
                SeriesOrder.Count => b.Stats.Count.CompareTo(a.Stats.Count),
                _ => 0,
            };
            return c != 0 ? c : Identity(a, b);
        });
        return list;
    }

    private static int Identity(SeriesSnapshot a, SeriesSnapshot b)
    {
        int c = Pid(a).CompareTo(Pid(b));
        if (c == 0)
            c = string.CompareOrdinal(Allocator(a), Allocator(b));
        if (c == 0)
            c = string.CompareOrdinal(Op(a), Op(b));
        if (c == 0)
            c = Size(a).CompareTo(Size(b));
        return c;
    }

    private static long Pid(SeriesSnapshot s) =>
        long.TryParse(s.Tag(Schema.Tags.Pid), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : long.MaxValue;

    private static ulong Size(SeriesSnapshot s) => SizeClass.TryParseSize(s.Tag(Schema.Tags.SizeClass) ?? "", out var b) ? b : ulong.MaxValue;

    // A runtime's GC pauses (gc_pause) are tagged by runtime, not allocator and operation.
    private static string Allocator(SeriesSnapshot s) => s.Tag(Schema.Tags.Allocator) ?? s.Tag(Schema.Tags.Runtime) ?? "-";

    // .NET pauses are split by what the collection was: gc2 AllocLarge, gc0 AllocSmall, ...
    private static string Op(SeriesSnapshot s) =>
        s.Tag(Schema.Tags.Generation) is { } generation && s.Tag(Schema.Tags.Reason) is { } reason ? $"gc{generation} {reason}"
            : s.Tag(Schema.Tags.Op) ?? (s.Measurement == Schema.Measurements.Latency ? "-" : s.Measurement);

    public static void AppendHeader(StringBuilder sb, int width) =>
        AppendCells(sb, s_columns.Select(c => c.Title).ToArray(), width);

    public static void AppendRow(StringBuilder sb, SeriesSnapshot series, int width)
    {
        var s = series.Stats;
        AppendCells(sb,
        [
            series.Tag(Schema.Tags.Pid) ?? "-", series.Tag(Schema.Tags.Comm) ?? "-", Allocator(series), Op(series), series.Tag(Schema.Tags.SizeClass) ?? "-",
            HumanUnits.Count(s.Count), HumanUnits.Latency(s.P50), HumanUnits.Latency(s.P99), HumanUnits.Latency(s.P999),
            HumanUnits.Latency(s.Max),
        ], width);
    }

    private static void AppendCells(StringBuilder sb, string[] cells, int width)
    {
        int start = sb.Length;
        for (int i = 0; i < s_columns.Length; i++)
        {
            var (_, w, right) = s_columns[i];
            var cell = ScreenText.Clean(cells[i]);
            if (cell.Length > w)
                cell = string.Concat(cell.AsSpan(0, w - 1), "~");
            int need = (i > 0 ? 1 : 0) + w;
            if (sb.Length - start + need > width)
                break;
            if (i > 0)
                sb.Append(' ');
            if (right)
                sb.Append(' ', w - cell.Length).Append(cell);
            else if (i == s_columns.Length - 1)
                sb.Append(cell);
            else
                sb.Append(cell).Append(' ', w - cell.Length);
        }
        // Left-aligned cells are padded; a line never ends in spaces.
        int end = sb.Length;
        while (end > start && sb[end - 1] == ' ')
            end--;
        sb.Length = end;
    }
}
