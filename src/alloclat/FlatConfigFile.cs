using System.Text.RegularExpressions;
using Alloclat.Cli.CommandLine;

namespace Alloclat.Cli;

/// <summary>
/// The config form before TOML: one <c>option = value</c> per line with unquoted values (<c>min-size = 64K</c>),
/// <c>#</c> starting a comment, flags as <c>true</c>/<c>false</c>.
/// </summary>
internal static partial class FlatConfigFile
{
    [GeneratedRegex(@"^\s*(#.*)?$|^\s*[A-Za-z][A-Za-z0-9-]*\s*=")]
    private static partial Regex FlatLine();

    /// <summary>
    /// Every line is blank, a comment or <c>key = ...</c> (no sections, no multi-line values), and the line TOML
    /// stumbled on (zero-based) has an unquoted value: the flat form's, not a TOML string gone wrong.
    /// </summary>
    public static bool LooksFlat(string text, int errorLine)
    {
        string[] lines = text.Split('\n');
        if (!lines.All(l => FlatLine().IsMatch(l)) || errorLine < 0 || errorLine >= lines.Length)
            return false;
        int eq = lines[errorLine].IndexOf('=');
        string value = eq < 0 ? "" : lines[errorLine][(eq + 1)..].Trim();
        return value.Length > 0 && value[0] is not ('"' or '\'' or '[' or '{');
    }

    /// <summary>The options of the file in order; a flag's <c>true</c>/<c>false</c> is a string the command line reads as one.</summary>
    public static List<ConfigEntry> Read(string path, string text)
    {
        var entries = new List<ConfigEntry>();
        string[] lines = text.Split('\n');
        for (int n = 1; n <= lines.Length; n++)
        {
            string line = lines[n - 1].Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            int eq = line.IndexOf('=');
            string key = line[..eq].Trim();
            try
            {
                string value = ConfigValues.Expand(Unquote(line[(eq + 1)..].Trim()));
                if (key is "config")
                    throw Usage.Error("a config file cannot include another");
                entries.Add(new ConfigEntry(path, n, "--" + key, key, value));
            }
            catch (AlloclatException e)
            {
                throw Usage.Error($"{path}:{n}: {e.Message}");
            }
        }
        return entries;
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && (value[0] == '"' && value[^1] == '"' || value[0] == '\'' && value[^1] == '\'') ? value[1..^1] : value;
}
