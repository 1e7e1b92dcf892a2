namespace Alloclat.Cli;

/// <summary>
/// <c>--config FILE</c>: the long options of <c>alloclat record</c>, one <c>option = value</c> per line without the
/// dashes (<c>min-size = 64K</c>, <c>precise = true</c>), <c>#</c> starting a comment. Options given after
/// <c>--config</c> on the command line override it. Every mistake is reported with its file and line.
/// </summary>
internal static class ConfigFile
{
    private static readonly HashSet<string> s_flags = ["all", "precise", "quiet", "verbose"];

    public delegate RecordOptions ApplyOption(RecordOptions options, string name, string arg, Func<string> value);

    public static RecordOptions Apply(RecordOptions options, string path, ApplyOption apply)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OptionParser.Bad($"cannot read --config {path}: {e.Message}");
        }
        for (int n = 1; n <= lines.Length; n++)
        {
            string line = lines[n - 1].Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            int eq = line.IndexOf('=');
            if (eq <= 0)
                throw OptionParser.Bad($"{path}:{n}: expected 'option = value', got '{line}'");
            string key = line[..eq].Trim(), value = Unquote(line[(eq + 1)..].Trim());
            if (key is "config")
                throw OptionParser.Bad($"{path}:{n}: a config file cannot include another");
            try
            {
                if (s_flags.Contains(key))
                {
                    if (!bool.TryParse(value, out bool on))
                        throw OptionParser.Bad($"'{key}' takes true or false, not '{value}'");
                    if (on)
                        options = apply(options, "--" + key, "--" + key, () => value);
                    continue;
                }
                options = apply(options, "--" + key, "--" + key, () => value);
            }
            catch (Tracer.Core.AlloclatException e)
            {
                throw OptionParser.Bad($"{path}:{n}: {e.Message}");
            }
        }
        return options;
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && (value[0] == '"' && value[^1] == '"' || value[0] == '\'' && value[^1] == '\'') ? value[1..^1] : value;
}
