using System.CommandLine;

namespace Alloclat.Cli.CommandLine;

/// <summary>
/// <c>--config FILE</c> is replaced, where it stands, by the options the file gives, so what comes after it on the
/// command line overrides the file and what comes before is overridden by it. Each option of the file is checked
/// alone against the command's own declaration, so a bad value is reported with the file and line.
/// </summary>
internal static class ConfigExpansion
{
    private static readonly ParserConfiguration s_literal = new() { ResponseFileTokenReplacer = null };

    public static (List<string> Tokens, List<string> Warnings) Expand(IReadOnlyList<string> tokens, RootCommand root, Command command)
    {
        var result = new List<string>(tokens.Count);
        var warnings = new List<string>();
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] != "--config" || i + 1 >= tokens.Count)
            {
                result.Add(tokens[i]);
                continue;
            }
            var contents = ConfigFile.Read(tokens[++i]);
            warnings.AddRange(contents.Warnings);
            foreach (var entry in contents.Entries)
                result.AddRange(Tokens(entry, root, command));
        }
        return (result, warnings);
    }

    /// <summary>The command-line form of one entry: <c>--option value</c>, <c>--flag</c> or <c>--flag false</c>.</summary>
    public static string[] Tokens(ConfigEntry entry, RootCommand root, Command command)
    {
        string where = $"{entry.Path}:{entry.Line}";
        var option = command.Options.FirstOrDefault(o => o.Name == entry.Option || o.Aliases.Contains(entry.Option))
            ?? throw Usage.Error($"{where}: unknown option {entry.Option} (see 'alloclat {command.Name} --help')");
        string[] tokens;
        if (option.ValueType == typeof(bool))
        {
            bool on = entry.Value switch
            {
                bool b => b,
                "true" => true,
                "false" => false,
                _ => throw Usage.Error($"{where}: '{entry.Shown}' takes true or false, not '{entry.Value}'"),
            };
            tokens = on ? [option.Name] : [option.Name, "false"];
        }
        else
        {
            if (entry.Value is bool b)
                throw Usage.Error($"{where}: '{entry.Shown}' takes a value, not {(b ? "true" : "false")}");
            tokens = [entry.Option, (string)entry.Value];
        }
        var parsed = root.Parse([command.Name, .. tokens], s_literal);
        var errors = ParseErrors.Lines(parsed, command.Name);
        return errors.Count == 0 ? tokens : throw Usage.Error($"{where}: {errors[0]}");
    }
}
