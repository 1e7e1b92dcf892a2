using System.Globalization;
using System.Text;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// Prints each interval as a table for a terminal: a summary line (events/s, lost events, in-flight and sink
/// drops), then one row per series sorted by pid, allocator, op and size, then the interval's slow calls and alerts as
/// readable lines. About 100 columns wide. Used when standard output is not a terminal (or with --plain).
/// </summary>
public sealed class ConsoleTableSink : ISnapshotSink
{
    private static readonly Column[] s_columns =
    [
        new("PID", 7, Right: true),
        new("COMM", 15, Right: false),
        new("ALLOCATOR", 10, Right: false),
        new("OP", 14, Right: false),
        new("SIZE", 5, Right: false),
        new("COUNT", 9, Right: true),
        new("P50", 8, Right: true),
        new("P99", 8, Right: true),
        new("P99.9", 8, Right: true),
        new("MAX", 8, Right: true),
    ];

    private readonly TextWriter _output;
    private readonly int _maxRows;
    private readonly TimeZoneInfo _timeZone;

    /// <summary>
    /// Writes to <paramref name="output"/>. At most <paramref name="maxRows"/> series are listed per interval
    /// (0: all); <paramref name="timeZone"/> (default: local) is used for the interval's clock time.
    /// </summary>
    public ConsoleTableSink(TextWriter output, int maxRows = 0, TimeZoneInfo? timeZone = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRows);
        _output = output;
        _maxRows = maxRows;
        _timeZone = timeZone ?? TimeZoneInfo.Local;
    }

    public string Name => "console";

    public async ValueTask WriteAsync(IntervalSnapshot snapshot, CancellationToken cancellationToken)
    {
        // Built whole and written at once so log lines on other threads do not cut through a table.
        var text = Render(snapshot);
        await _output.WriteAsync(text.AsMemory(), cancellationToken).ConfigureAwait(false);
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        _output.Flush();
        return ValueTask.CompletedTask;
    }

    /// <summary>The text printed for one interval, ending with a blank line.</summary>
    public string Render(IntervalSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var sb = new StringBuilder(256 + snapshot.Series.Count * 110);
        var end = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(snapshot.EndUnixNs / 1_000_000), _timeZone);
        double seconds = (snapshot.EndUnixNs - snapshot.StartUnixNs) / 1e9;
        double eventsPerSecond = seconds > 0 ? snapshot.Stats.Events / seconds : snapshot.Stats.Events;
        var stats = snapshot.Stats;
        sb.Append(end.ToString("HH:mm:ss", CultureInfo.InvariantCulture))
            .Append("  events/s ").Append(HumanUnits.Count(eventsPerSecond))
            .Append("  lost ").Append(stats.Lost.ToString(CultureInfo.InvariantCulture))
            .Append("  inflight drops ").Append(stats.InflightDropped.ToString(CultureInfo.InvariantCulture))
            .Append("  sink drops ").Append(stats.SinkDropped.ToString(CultureInfo.InvariantCulture))
            .Append("  series ").Append(snapshot.Series.Count.ToString(CultureInfo.InvariantCulture));
        if (stats.TargetsFull > 0)
            sb.Append("  targets not followed ").Append(stats.TargetsFull.ToString(CultureInfo.InvariantCulture));
        if (stats.ProbeCost is { } cost)
            sb.Append("  ").Append(HumanUnits.ProbeCost(cost));
        sb.Append('\n');

        if (snapshot.Series.Count == 0)
        {
            sb.Append("  (no call measured in this interval)\n");
            AppendEvents(sb, snapshot.Events);
            sb.Append('\n');
            return sb.ToString();
        }

        AppendRow(sb, s_columns.Select(c => c.Title).ToArray());
        var rows = snapshot.Series.Select(Row.From).ToList();
        rows.Sort(Row.Compare);
        int shown = _maxRows == 0 ? rows.Count : Math.Min(_maxRows, rows.Count);
        for (int i = 0; i < shown; i++)
        {
            var r = rows[i];
            var s = r.Series.Stats;
            AppendRow(sb,
            [
                r.Pid, r.Comm, r.Allocator, r.Op, r.Size,
                HumanUnits.Count(s.Count), HumanUnits.Latency(s.P50), HumanUnits.Latency(s.P99),
                HumanUnits.Latency(s.P999), HumanUnits.Latency(s.Max),
            ]);
        }
        if (shown < rows.Count)
            sb.Append("  ... ").Append(rows.Count - shown).Append(" more series\n");
        DotnetLargeObjectLines.Append(sb, snapshot.Series);
        AppendEvents(sb, snapshot.Events);
        sb.Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// One line per event point under the table. Alert transitions get a line of their own shape (state first,
    /// then the rule and the series) so they stand out among the rows; other points are listed generically.
    /// </summary>
    private void AppendEvents(StringBuilder sb, IReadOnlyList<EventPoint> events)
    {
        foreach (var e in events)
        {
            // The run summary is printed once, in full, when the run ends.
            if (e.Kind == EventKind.RunSummary)
                continue;
            string line = e.Kind switch
            {
                EventKind.Alert => Fit(AlertLine(e), 160),
                EventKind.Spike => SpikeLine.Format(e, _timeZone, 160),
                _ => Fit(GenericLine(e), 160),
            };
            sb.Append("  ").Append(line).Append('\n');
        }
    }

    private static string AlertLine(EventPoint e)
    {
        var sb = new StringBuilder("ALERT ");
        sb.Append((e.Tag(Schema.Tags.State) ?? "?").ToUpperInvariant()).Append("  ").Append(e.Tag(Schema.Tags.Rule) ?? "?").Append("  ");
        foreach (var key in (ReadOnlySpan<string>)[Schema.Tags.Pid, Schema.Tags.Comm, Schema.Tags.Runtime, Schema.Tags.Allocator, Schema.Tags.Op, Schema.Tags.SizeClass])
            if (e.Tag(key) is { } v)
                sb.Append(key).Append('=').Append(v).Append(' ');
        if (e.Field(Schema.Fields.Value) is { Kind: FieldKind.Integer } value)
            sb.Append(" ").Append(e.Tag(Schema.Tags.Field) ?? Schema.Fields.Value).Append(' ').Append(HumanUnits.Latency(value.Integer));
        if (e.Field(Schema.Fields.Threshold) is { Kind: FieldKind.Integer } threshold)
            sb.Append(" (threshold ").Append(HumanUnits.Latency(threshold.Integer)).Append(')');
        return sb.ToString();
    }

    private static string GenericLine(EventPoint e)
    {
        var sb = new StringBuilder(e.Measurement);
        foreach (var t in e.Tags)
            sb.Append(' ').Append(t.Key).Append('=').Append(t.Value);
        foreach (var f in e.Fields)
            sb.Append(' ').Append(f.Key).Append('=').Append(f.Value.ToString());
        return sb.ToString();
    }

    private static void AppendRow(StringBuilder sb, string[] cells)
    {
        for (int i = 0; i < s_columns.Length; i++)
        {
            var column = s_columns[i];
            var cell = Fit(cells[i], column.Width);
            if (i > 0)
                sb.Append(' ');
            if (column.Right)
                sb.Append(' ', column.Width - cell.Length).Append(cell);
            else if (i == s_columns.Length - 1)
                sb.Append(cell);
            else
                sb.Append(cell).Append(' ', column.Width - cell.Length);
        }
        sb.Append('\n');
    }

    private static string Fit(string text, int width)
    {
        var clean = string.Create(text.Length, text, static (span, t) =>
        {
            for (int i = 0; i < t.Length; i++)
                span[i] = char.IsControl(t[i]) ? '?' : t[i];
        });
        return clean.Length <= width ? clean : string.Concat(clean.AsSpan(0, width - 1), "~");
    }

    private readonly record struct Column(string Title, int Width, bool Right);

    private sealed record Row(SeriesSnapshot Series, string Pid, string Comm, string Allocator, string Op, string Size,
        long PidValue, ulong SizeBytes)
    {
        public static Row From(SeriesSnapshot s)
        {
            string pid = s.Tag(Schema.Tags.Pid) ?? "-";
            string size = s.Tag(Schema.Tags.SizeClass) ?? "-";
            long pidValue = long.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : long.MaxValue;
            ulong sizeBytes = SizeClass.TryParseSize(size, out var b) ? b : ulong.MaxValue;
            // A runtime's GC pauses (gc_pause) are tagged by runtime, not allocator and operation.
            string allocator = s.Tag(Schema.Tags.Allocator) ?? s.Tag(Schema.Tags.Runtime) ?? "-";
            string op = s.Tag(Schema.Tags.Op) ?? (s.Measurement == Schema.Measurements.Latency ? "-" : s.Measurement);
            // .NET pauses are split by what the collection was: gc2 AllocLarge, gc0 AllocSmall, ...
            if (s.Tag(Schema.Tags.Generation) is { } generation && s.Tag(Schema.Tags.Reason) is { } reason)
                op = $"gc{generation} {reason}";
            return new Row(s, pid, s.Tag(Schema.Tags.Comm) ?? "-", allocator, op, size, pidValue, sizeBytes);
        }

        public static int Compare(Row? a, Row? b)
        {
            if (ReferenceEquals(a, b))
                return 0;
            if (a is null)
                return -1;
            if (b is null)
                return 1;
            int c = a.PidValue.CompareTo(b.PidValue);
            if (c == 0)
                c = string.CompareOrdinal(a.Pid, b.Pid);
            if (c == 0)
                c = string.CompareOrdinal(a.Allocator, b.Allocator);
            if (c == 0)
                c = string.CompareOrdinal(a.Op, b.Op);
            if (c == 0)
                c = a.SizeBytes.CompareTo(b.SizeBytes);
            if (c == 0)
                c = string.CompareOrdinal(a.Size, b.Size);
            if (c == 0)
                c = string.CompareOrdinal(a.Series.Measurement, b.Series.Measurement);
            return c;
        }
    }
}
