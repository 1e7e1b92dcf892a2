namespace Tracer.Alerts.Tests;

/// <summary>The series part (measurement and tags) of one line-protocol line, unescaped.</summary>
internal sealed record AlertLine(string Measurement, IReadOnlyDictionary<string, string> Tags, string Rest)
{
    public static AlertLine Parse(string line)
    {
        int i = 0;
        var parts = new List<string>();
        var current = new System.Text.StringBuilder();
        for (; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '\\' && i + 1 < line.Length && line[i + 1] is ',' or ' ' or '=')
            {
                current.Append('\\').Append(line[++i]);
                continue;
            }
            if (c == ' ')
                break;
            if (c == ',')
            {
                parts.Add(current.ToString());
                current.Clear();
                continue;
            }
            current.Append(c);
        }
        parts.Add(current.ToString());
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in parts.Skip(1))
        {
            int eq = IndexOfUnescaped(part, '=');
            tags[Unescape(part[..eq])] = Unescape(part[(eq + 1)..]);
        }
        return new AlertLine(Unescape(parts[0]), tags, line[(i + 1)..]);
    }

    private static int IndexOfUnescaped(string s, char c)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\')
                i++;
            else if (s[i] == c)
                return i;
        }
        throw new FormatException($"no '{c}' in '{s}'");
    }

    private static string Unescape(string s) => s.Replace("\\,", ",").Replace("\\ ", " ").Replace("\\=", "=");
}
