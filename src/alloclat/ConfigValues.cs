using System.Text;

using Alloclat.Cli.CommandLine;

namespace Alloclat.Cli;

/// <summary><c>${VAR}</c> and <c>${VAR:-default}</c> in config values, from the environment; <c>$$</c> is a dollar sign.</summary>
internal static class ConfigValues
{
    public static string Expand(string value, Func<string, string?>? lookup = null)
    {
        lookup ??= Environment.GetEnvironmentVariable;
        if (!value.Contains('$'))
            return value;
        var sb = new StringBuilder(value.Length);
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c != '$' || i + 1 >= value.Length)
            {
                sb.Append(c);
                continue;
            }
            if (value[i + 1] == '$')
            {
                sb.Append('$');
                i++;
                continue;
            }
            if (value[i + 1] != '{')
            {
                sb.Append(c);
                continue;
            }
            int end = value.IndexOf('}', i + 2);
            if (end < 0)
                throw Usage.Error($"unclosed '${{' in '{value}'");
            string inner = value[(i + 2)..end];
            int dflt = inner.IndexOf(":-", StringComparison.Ordinal);
            string name = dflt >= 0 ? inner[..dflt] : inner;
            if (name.Length == 0 || !name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_'))
                throw Usage.Error($"invalid variable name '{name}' in '{value}'");
            string? v = lookup(name);
            if (string.IsNullOrEmpty(v))
                v = dflt >= 0 ? inner[(dflt + 2)..] : throw Usage.Error($"environment variable {name} is not set (write ${{{name}:-default}} for a default)");
            sb.Append(v);
            i = end;
        }
        return sb.ToString();
    }
}
