using System.Buffers;
using System.Text;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// Formats interval snapshots as InfluxDB line protocol (docs/schema.md): one point per series, then one
/// <c>alloclat_stats</c> point, all stamped with the interval's end. Output goes straight to UTF-8 bytes in the
/// caller's buffer; names that need no escaping are copied without any intermediate string.
/// </summary>
/// <remarks>
/// Escaping: measurement names escape comma and space; tag keys, tag values and field keys escape comma, equals
/// sign and space. Control characters become <c>?</c>, an empty name or value becomes <c>-</c>. A backslash is
/// kept only where every parser reads it back as itself (followed by an ordinary character): InfluxDB 1.x/2.x
/// never unescapes <c>\\</c> and cannot parse a value that ends in a backslash, while VictoriaMetrics and the
/// newer InfluxDB parsers do collapse <c>\\</c>. A backslash at the end of a name, or before another backslash,
/// a comma, an equals sign or a space, is therefore written as <c>?</c>, so every server stores the same value.
/// </remarks>
public static class LineProtocol
{


    private const int MaxStackTags = 32;

    // Field keys with their separator, encoded once from the schema's names.
    private static readonly byte[] s_firstCount = Key(' ', Schema.Fields.Count), s_nextBytes = Key(',', Schema.Fields.Bytes),
        s_nextMin = Key(',', Schema.Fields.Min), s_nextMean = Key(',', Schema.Fields.Mean), s_nextP50 = Key(',', Schema.Fields.P50),
        s_nextP90 = Key(',', Schema.Fields.P90), s_nextP99 = Key(',', Schema.Fields.P99), s_nextP999 = Key(',', Schema.Fields.P999),
        s_nextP9999 = Key(',', Schema.Fields.P9999), s_nextMax = Key(',', Schema.Fields.Max);
    private static readonly byte[] s_firstEvents = Key(' ', Schema.Fields.Events), s_nextLost = Key(',', Schema.Fields.Lost),
        s_nextInflightDropped = Key(',', Schema.Fields.InflightDropped), s_nextSinkDropped = Key(',', Schema.Fields.SinkDropped),
        s_nextTargetsFull = Key(',', Schema.Fields.TargetsFull), s_nextProbeCost = Key(',', Schema.Fields.ProbeCostNs),
        s_nextProbeCostStepped = Key(',', Schema.Fields.ProbeCostSteppedNs),
        s_nextRawLatency = Key(',', Schema.Fields.RawLatency);

    private static byte[] Key(char separator, string name) => Encoding.ASCII.GetBytes(separator + name + "=");

    // Every character the escaper must look at; anything else is copied as UTF-8 unchanged.
    private static readonly SearchValues<char> s_special = SearchValues.Create(BuildSpecial());

    // In string field values only the quote and the backslash are escaped; control characters still cannot be sent.
    private static readonly SearchValues<char> s_specialInString = SearchValues.Create(BuildSpecial().Replace(",= ", "", StringComparison.Ordinal) + "\"");

    private static string BuildSpecial()
    {
        var sb = new StringBuilder(",= \\");
        for (char c = '\0'; c < ' '; c++)
            sb.Append(c);
        for (char c = '\x7f'; c <= '\x9f'; c++)
            sb.Append(c);
        return sb.ToString();
    }

    private enum Element { Measurement, Key }

    /// <summary>Writes every point of <paramref name="snapshot"/>, each line ending in <c>\n</c>.</summary>
    public static void Write(IntervalSnapshot snapshot, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(output);
        // Indexed rather than foreach: enumerating through the interface would allocate an enumerator.
        var series = snapshot.Series;
        for (int i = 0; i < series.Count; i++)
            WriteSeries(series[i], snapshot.Host, snapshot.EndUnixNs, output);
        var events = snapshot.Events;
        for (int i = 0; i < events.Count; i++)
            WriteEvent(events[i], snapshot.Host, events[i].TimestampUnixNs ?? snapshot.EndUnixNs, output);
        WriteStats(snapshot.Stats, snapshot.Host, snapshot.EndUnixNs, output);
    }

    /// <summary>Formats a whole snapshot into a string (tests, diagnostics; sinks use the buffer overload).</summary>
    public static string Format(IntervalSnapshot snapshot)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(snapshot, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes one latency point: measurement, host plus the series' tags sorted by key, the fields, the timestamp.</summary>
    public static void WriteSeries(SeriesSnapshot series, string host, long timestampNs, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(series);
        WriteName(series.Measurement, Element.Measurement, output);
        WriteTags(series.Tags, host, output);
        var s = series.Stats;
        WriteField(s_firstCount, s.Count, output);
        WriteField(s_nextBytes, s.Bytes, output);
        WriteField(s_nextMin, s.Min, output);
        WriteField(s_nextMean, s.Mean, output);
        WriteField(s_nextP50, s.P50, output);
        WriteField(s_nextP90, s.P90, output);
        WriteField(s_nextP99, s.P99, output);
        WriteField(s_nextP999, s.P999, output);
        WriteField(s_nextP9999, s.P9999, output);
        WriteField(s_nextMax, s.Max, output);
        WriteTimestamp(timestampNs, output);
    }

    /// <summary>
    /// Writes an event point: its measurement, host plus its tags sorted by key, its fields in order. String
    /// fields are quoted with <c>"</c> and <c>\</c> escaped by a backslash (control characters become <c>?</c>);
    /// floats that are not finite cannot be stored and are left out, and a point left with no field is not
    /// written at all (a line without fields is a syntax error that would reject the whole batch). A null
    /// <paramref name="host"/> writes no host tag (fleet points, merged over hosts).
    /// </summary>
    public static void WriteEvent(EventPoint point, string? host, long timestampNs, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(point);
        var fields = point.Fields;
        int writable = 0;
        for (int i = 0; i < fields.Count; i++)
            if (IsWritable(fields[i].Value))
                writable++;
        if (writable == 0)
            return;
        WriteName(point.Measurement, Element.Measurement, output);
        WriteTags(point.Tags, host, output);
        bool first = true;
        for (int i = 0; i < fields.Count; i++)
        {
            var (key, value) = fields[i];
            if (!IsWritable(value))
                continue;
            WriteByte(first ? (byte)' ' : (byte)',', output);
            first = false;
            WriteName(key, Element.Key, output);
            WriteByte((byte)'=', output);
            WriteFieldValue(value, output);
        }
        WriteTimestamp(timestampNs, output);
    }

    private static bool IsWritable(FieldValue value) => value.Kind != FieldKind.Float || double.IsFinite(value.Float);

    private static void WriteFieldValue(FieldValue value, IBufferWriter<byte> output)
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        switch (value.Kind)
        {
            case FieldKind.Integer:
            {
                var span = output.GetSpan(21);
                value.Integer.TryFormat(span, out int written, default, ci);
                span[written++] = (byte)'i';
                output.Advance(written);
                break;
            }
            case FieldKind.Float:
            {
                // "R" round-trips; InfluxDB and VictoriaMetrics both read its exponent form (1E+300).
                var span = output.GetSpan(32);
                value.Float.TryFormat(span, out int written, "R", ci);
                output.Advance(written);
                break;
            }
            case FieldKind.Boolean:
                WriteAscii(value.Boolean ? "true"u8 : "false"u8, output);
                break;
            default:
                WriteStringField(value.String, output);
                break;
        }
    }

    private static void WriteStringField(string text, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(checked(text.Length * 3 + 2));
        int pos = 0;
        span[pos++] = (byte)'"';
        var rest = text.AsSpan();
        while (true)
        {
            int i = rest.IndexOfAny(s_specialInString);
            if (i < 0)
            {
                pos += Encoding.UTF8.GetBytes(rest, span[pos..]);
                break;
            }
            pos += Encoding.UTF8.GetBytes(rest[..i], span[pos..]);
            char c = rest[i];
            if (c is '"' or '\\')
            {
                span[pos++] = (byte)'\\';
                span[pos++] = (byte)c;
            }
            else
                span[pos++] = (byte)'?';
            rest = rest[(i + 1)..];
        }
        span[pos++] = (byte)'"';
        output.Advance(pos);
    }

    private static void WriteAscii(ReadOnlySpan<byte> text, IBufferWriter<byte> output)
    {
        text.CopyTo(output.GetSpan(text.Length));
        output.Advance(text.Length);
    }

    /// <summary>Writes the <c>alloclat_stats</c> point.</summary>
    public static void WriteStats(CollectorStats stats, string host, long timestampNs, IBufferWriter<byte> output)
    {
        WriteName(Schema.Measurements.Stats, Element.Measurement, output);
        WriteTags([], host, output);
        WriteField(s_firstEvents, stats.Events, output);
        WriteField(s_nextLost, stats.Lost, output);
        WriteField(s_nextInflightDropped, stats.InflightDropped, output);
        WriteField(s_nextSinkDropped, stats.SinkDropped, output);
        // Only in an interval that had any: a full target table is rare, and the usual point stays as it was.
        if (stats.TargetsFull > 0)
            WriteField(s_nextTargetsFull, stats.TargetsFull, output);
        // Only when the probes were calibrated (precise mode); raw_latency only when it was not subtracted.
        if (stats.ProbeCost is { } cost)
        {
            WriteField(s_nextProbeCost, cost.BiasNs, output);
            WriteField(s_nextProbeCostStepped, cost.SteppedBiasNs, output);
            if (!cost.Subtracted)
                WriteField(s_nextRawLatency, 1, output);
        }
        WriteTimestamp(timestampNs, output);
    }

    private static void WriteTags(IReadOnlyList<KeyValuePair<string, string>> tags, string? host, IBufferWriter<byte> output)
    {
        int n = tags.Count;
        Span<int> order = n <= MaxStackTags ? stackalloc int[n] : new int[n];
        for (int i = 0; i < n; i++)
            order[i] = i;
        // Insertion sort: a handful of tags, usually already in order, and no allocation.
        for (int i = 1; i < n; i++)
        {
            int current = order[i];
            int j = i - 1;
            while (j >= 0 && string.CompareOrdinal(tags[order[j]].Key, tags[current].Key) > 0)
            {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = current;
        }

        bool hostWritten = host is null;
        for (int i = 0; i < n; i++)
        {
            var tag = tags[order[i]];
            int cmp = string.CompareOrdinal(tag.Key, Schema.Tags.Host);
            if (cmp == 0)
                continue; // the snapshot's host is authoritative
            if (cmp > 0 && !hostWritten)
            {
                WriteTag(Schema.Tags.Host, host, output);
                hostWritten = true;
            }
            WriteTag(tag.Key, tag.Value, output);
        }
        if (!hostWritten)
            WriteTag(Schema.Tags.Host, host!, output);
    }

    private static void WriteTag(string key, string? value, IBufferWriter<byte> output)
    {
        WriteByte((byte)',', output);
        WriteName(key, Element.Key, output);
        WriteByte((byte)'=', output);
        WriteName(value, Element.Key, output);
    }

    private static void WriteField(ReadOnlySpan<byte> separatorAndKey, long value, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(separatorAndKey.Length + 21);
        separatorAndKey.CopyTo(span);
        int pos = separatorAndKey.Length;
        value.TryFormat(span[pos..], out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        pos += written;
        span[pos++] = (byte)'i';
        output.Advance(pos);
    }

    private static void WriteTimestamp(long timestampNs, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(22);
        span[0] = (byte)' ';
        timestampNs.TryFormat(span[1..], out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        span[1 + written] = (byte)'\n';
        output.Advance(written + 2);
    }

    private static void WriteByte(byte b, IBufferWriter<byte> output)
    {
        output.GetSpan(1)[0] = b;
        output.Advance(1);
    }

    private static void WriteName(string? text, Element element, IBufferWriter<byte> output)
    {
        if (string.IsNullOrEmpty(text))
        {
            WriteByte((byte)'-', output);
            return;
        }

        // UTF-16 unit -> at most 3 UTF-8 bytes; an escaped ASCII char takes 2.
        var span = output.GetSpan(checked(text.Length * 3));
        var rest = text.AsSpan();
        int pos = 0;
        while (true)
        {
            int i = rest.IndexOfAny(s_special);
            if (i < 0)
            {
                pos += Encoding.UTF8.GetBytes(rest, span[pos..]);
                break;
            }
            // Special characters are ASCII or C1 controls, never surrogates, so no pair is split here.
            pos += Encoding.UTF8.GetBytes(rest[..i], span[pos..]);
            char c = rest[i];
            if (c == '\\')
                span[pos++] = i + 1 < rest.Length && !IsBackslashSensitive(rest[i + 1]) ? (byte)'\\' : (byte)'?';
            else if (c is ',' or ' ' || (c == '=' && element == Element.Key))
            {
                span[pos++] = (byte)'\\';
                span[pos++] = (byte)c;
            }
            else if (c == '=')
                span[pos++] = (byte)'=';
            else
                span[pos++] = (byte)'?';
            rest = rest[(i + 1)..];
        }
        output.Advance(pos);
    }

    private static bool IsBackslashSensitive(char next) => next is '\\' or ',' or '=' or ' ';
}
