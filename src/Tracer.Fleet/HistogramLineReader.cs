using System.Globalization;
using System.Text;
using Tracer.Core;
using Tracer.Sinks;

namespace Tracer.Fleet;

/// <summary>
/// Reads <c>alloc_latency_hdr</c> points (written with <c>--histograms</c>) back from a line-protocol file; every
/// other line is skipped. A histogram line that cannot be read is a <see cref="FormatException"/> naming its line.
/// </summary>
public static class HistogramLineReader
{
    public static IEnumerable<HistogramMessage> Read(string path)
    {
        int n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (!line.StartsWith(Schema.Measurements.Histogram + ",", StringComparison.Ordinal))
                continue;
            HistogramMessage message;
            try
            {
                message = Parse(line);
            }
            catch (FormatException e)
            {
                throw new FormatException($"{path}:{n}: {e.Message}");
            }
            yield return message;
        }
    }

    public static HistogramMessage Parse(string line)
    {
        var parts = Split(line, ' ', 3);
        if (parts.Count != 3)
            throw new FormatException("expected 'series fields timestamp'");
        var series = Split(parts[0], ',', int.MaxValue);
        string? host = null, source = null;
        var tags = new List<KeyValuePair<string, string>>();
        foreach (var t in series.Skip(1))
        {
            var kv = Split(t, '=', 2);
            if (kv.Count != 2)
                throw new FormatException($"bad tag '{t}'");
            string key = Unescape(kv[0]), value = Unescape(kv[1]);
            if (key == Schema.Tags.Host)
                host = value;
            else if (key == Schema.Tags.Source)
                source = value;
            else
                tags.Add(new(key, value));
        }
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in Split(parts[1], ',', int.MaxValue))
        {
            int eq = f.IndexOf('=');
            if (eq <= 0)
                throw new FormatException($"bad field '{f}'");
            fields[f[..eq]] = f[(eq + 1)..];
        }
        long Integer(string name) => fields.TryGetValue(name, out var v) && v.EndsWith('i')
            && long.TryParse(v.AsSpan(0, v.Length - 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)
            ? l : throw new FormatException($"field '{name}' missing or not an integer");
        if (!fields.TryGetValue(Schema.Fields.Hdr, out var hdr) || hdr.Length < 2 || hdr[0] != '"' || hdr[^1] != '"')
            throw new FormatException("field 'hdr' missing or not a string");
        byte[] histogram;
        try
        {
            histogram = Convert.FromBase64String(hdr[1..^1]);
        }
        catch (FormatException)
        {
            throw new FormatException("field 'hdr' is not base64");
        }
        if (!long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long end))
            throw new FormatException($"bad timestamp '{parts[2]}'");
        tags.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new HistogramMessage(host ?? throw new FormatException("tag 'host' missing"), Integer(Schema.Fields.Sequence), Integer(Schema.Fields.Start), end,
            source ?? throw new FormatException("tag 'source' missing"), tags, Integer(Schema.Fields.Count), Integer(Schema.Fields.Bytes), histogram);
    }

    /// <summary>Splits at unescaped separators outside double quotes, into at most <paramref name="max"/> parts.</summary>
    private static List<string> Split(string s, char separator, int max)
    {
        var result = new List<string>();
        int start = 0;
        bool quoted = false;
        for (int i = 0; i < s.Length && result.Count < max - 1; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length)
                i++;
            else if (s[i] == '"')
                quoted = !quoted;
            else if (s[i] == separator && !quoted)
            {
                result.Add(s[start..i]);
                start = i + 1;
            }
        }
        result.Add(s[start..]);
        return result;
    }

    private static string Unescape(string s)
    {
        if (!s.Contains('\\'))
            return s;
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length && s[i + 1] is ',' or '=' or ' ')
                i++;
            sb.Append(s[i]);
        }
        return sb.ToString();
    }
}
