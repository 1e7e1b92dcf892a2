using System.Globalization;
using System.Text;

namespace Tracer.Sinks;

/// <summary>One line of line protocol, read back: integers, floats, strings and booleans as their .NET types.</summary>
public sealed record LinePoint(string Measurement, IReadOnlyDictionary<string, string> Tags, IReadOnlyDictionary<string, object> Fields, long TimestampNs)
{
    public string? Tag(string key) => Tags.TryGetValue(key, out var v) ? v : null;

    public long Long(string field) => Fields.TryGetValue(field, out var v) ? v switch
    {
        long l => l,
        double d => (long)d,
        _ => 0,
    } : 0;

    public string? Text(string field) => Fields.TryGetValue(field, out var v) ? v as string : null;
}

/// <summary>
/// Reads what <see cref="LineProtocol"/> writes (and any well-formed line protocol): backslash escapes in names,
/// tags and strings, <c>i</c>-suffixed integers, floats, quoted strings, booleans. A malformed line is a
/// <see cref="FormatException"/> naming its line number.
/// </summary>
public static class LineProtocolReader
{
    public static IEnumerable<LinePoint> Read(TextReader reader)
    {
        int n = 0;
        while (reader.ReadLine() is { } line)
        {
            n++;
            if (line.Length == 0 || line[0] == '#')
                continue;
            LinePoint point;
            try
            {
                point = Parse(line);
            }
            catch (FormatException e)
            {
                throw new FormatException($"line {n}: {e.Message}");
            }
            yield return point;
        }
    }

    public static LinePoint Parse(string line)
    {
        int i = 0;
        string measurement = Token(line, ref i, ",  ".AsSpan());
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        while (i < line.Length && line[i] == ',')
        {
            i++;
            string key = Token(line, ref i, "=".AsSpan());
            Expect(line, ref i, '=');
            tags[key] = Token(line, ref i, ", ".AsSpan());
        }
        Expect(line, ref i, ' ');
        var fields = new Dictionary<string, object>(StringComparer.Ordinal);
        while (true)
        {
            string key = Token(line, ref i, "=".AsSpan());
            Expect(line, ref i, '=');
            fields[key] = Value(line, ref i);
            if (i < line.Length && line[i] == ',')
            {
                i++;
                continue;
            }
            break;
        }
        long ts = 0;
        if (i < line.Length)
        {
            Expect(line, ref i, ' ');
            if (!long.TryParse(line.AsSpan(i), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out ts))
                throw new FormatException($"bad timestamp '{line[i..]}'");
        }
        if (measurement.Length == 0 || fields.Count == 0)
            throw new FormatException("expected 'measurement[,tags] fields [timestamp]'");
        return new LinePoint(measurement, tags, fields, ts);
    }

    private static void Expect(string line, ref int i, char c)
    {
        if (i >= line.Length || line[i] != c)
            throw new FormatException($"expected '{c}' at column {i + 1}");
        i++;
    }

    /// <summary>Up to an unescaped stop character; a backslash escapes the next character.</summary>
    private static string Token(string line, ref int i, ReadOnlySpan<char> stops)
    {
        var sb = new StringBuilder();
        while (i < line.Length && stops.IndexOf(line[i]) < 0)
        {
            if (line[i] == '\\' && i + 1 < line.Length)
                i++;
            sb.Append(line[i++]);
        }
        return sb.ToString();
    }

    private static object Value(string line, ref int i)
    {
        if (i < line.Length && line[i] == '"')
        {
            i++;
            var sb = new StringBuilder();
            while (i < line.Length && line[i] != '"')
            {
                if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\')
                    i++;
                sb.Append(line[i++]);
            }
            Expect(line, ref i, '"');
            return sb.ToString();
        }
        int start = i;
        while (i < line.Length && line[i] is not (',' or ' '))
            i++;
        var raw = line.AsSpan(start, i - start);
        if (raw is "t" or "T" or "true" or "True" or "TRUE")
            return true;
        if (raw is "f" or "F" or "false" or "False" or "FALSE")
            return false;
        if (raw.Length > 1 && raw[^1] is 'i' or 'u' && long.TryParse(raw[..^1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
            return l;
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            return d;
        throw new FormatException($"bad field value '{raw}'");
    }
}
