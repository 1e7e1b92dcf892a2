using System.Globalization;
using System.Text;

namespace Alloclat.Tests;

public sealed record Point(string Measurement, IReadOnlyDictionary<string, string> Tags, IReadOnlyDictionary<string, long> Fields, long Timestamp)
{
    /// <summary>String and boolean fields (alerts and spikes carry them), unquoted and unescaped.</summary>
    public IReadOnlyDictionary<string, string> Texts { get; init; } = new Dictionary<string, string>();

    public string Tag(string key) => Tags[key];

    public long this[string field] => Fields[field];
}

/// <summary>
/// Reads the collector's line-protocol output strictly (any line it cannot parse fails the test): integer
/// fields, quoted string fields and booleans, which is everything alloclat writes.
/// </summary>
public static class LineProtocolFile
{
    public static IReadOnlyList<Point> Read(string path) => File.ReadAllLines(path).Where(l => l.Length > 0).Select(Parse).ToList();

    public static Point Parse(string line)
    {
        var parts = SplitUnescaped(line, ' ');
        if (parts.Count != 3)
            throw new FormatException($"expected 'series fields timestamp': {line}");
        var series = SplitUnescaped(parts[0], ',');
        var tags = new Dictionary<string, string>();
        foreach (var t in series.Skip(1))
        {
            var kv = SplitUnescaped(t, '=');
            if (kv.Count != 2)
                throw new FormatException($"bad tag '{t}' in: {line}");
            tags[Unescape(kv[0])] = Unescape(kv[1]);
        }
        var fields = new Dictionary<string, long>();
        var texts = new Dictionary<string, string>();
        foreach (var f in SplitUnescaped(parts[1], ','))
        {
            int eq = f.IndexOf('=');
            string key = eq > 0 ? Unescape(f[..eq]) : throw new FormatException($"bad field '{f}' in: {line}");
            string value = f[(eq + 1)..];
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                texts[key] = value[1..^1].Replace("\\\"", "\"").Replace("\\\\", "\\");
            else if (value is "true" or "false")
                texts[key] = value;
            else if (value.EndsWith('i'))
                fields[key] = long.Parse(value[..^1], CultureInfo.InvariantCulture);
            else
                throw new FormatException($"bad field '{f}' in: {line}");
        }
        return new Point(Unescape(series[0]), tags, fields, long.Parse(parts[2], CultureInfo.InvariantCulture)) { Texts = texts };
    }

    private static List<string> SplitUnescaped(string s, char separator)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length)
            {
                current.Append(s[i]).Append(s[i + 1]);
                i++;
            }
            else if (s[i] == '"')
            {
                quoted = !quoted;
                current.Append(s[i]);
            }
            else if (s[i] == separator && !quoted)
            {
                result.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(s[i]);
            }
        }
        result.Add(current.ToString());
        return result;
    }

    private static string Unescape(string s)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length && s[i + 1] is ',' or '=' or ' ' or '\\')
                i++;
            sb.Append(s[i]);
        }
        return sb.ToString();
    }

    /// <summary>Sums the count field per (op, size_class) for one process and allocator across all intervals.</summary>
    public static Dictionary<(string Op, string SizeClass), long> Counts(IEnumerable<Point> points, string allocator, int? pid = null) =>
        points.Where(p => p.Measurement == "alloc_latency" && p.Tag("allocator") == allocator && (pid is null || p.Tag("pid") == pid.ToString()))
            .GroupBy(p => (p.Tag("op"), p.Tag("size_class")))
            .ToDictionary(g => g.Key, g => g.Sum(p => p["count"]));
}
