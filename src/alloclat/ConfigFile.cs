using System.Globalization;
using Alloclat.Cli.CommandLine;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Alloclat.Cli;

/// <summary>One option a config file gives: <c>Option</c> is its long name (<c>--influx-url</c>), <c>Shown</c> the key as written.</summary>
/// <param name="Value">A string, or a bool for <c>true</c>/<c>false</c>.</param>
internal sealed record ConfigEntry(string Path, int Line, string Option, string Shown, object Value);

/// <summary>What a config file holds, in order, and the warnings reading it gave.</summary>
internal sealed record ConfigContents(IReadOnlyList<ConfigEntry> Entries, IReadOnlyList<string> Warnings);

/// <summary>
/// <c>--config FILE</c>: the long options of <c>alloclat record</c> in TOML. A key is an option's long name without
/// the dashes, at the top level or in the section its name begins with: <c>[influx] url</c> is
/// <c>--influx-url</c>, <c>[kafka] brokers</c> is <c>--kafka-brokers</c>, <c>[alerts] webhook</c> is
/// <c>--alert-webhook</c> and <c>[alerts] rules = [...]</c> is one <c>--alert</c> per rule, <c>[targets]</c> holds
/// options under their own names (<c>name</c>, <c>cgroup</c>, <c>process-id</c>). An array repeats the option;
/// <c>true</c> sets a flag and <c>false</c> undoes it; strings expand <c>${VAR}</c> (and <c>${VAR:-default}</c>)
/// from the environment. Every mistake is one message naming the file and line. The earlier flat form
/// (<c>min-size = 64K</c>, not TOML) is still read, with a warning. What the options mean is the command line's
/// business (<see cref="ConfigExpansion"/>).
/// </summary>
internal static class ConfigFile
{
    public static ConfigContents Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Usage.Error($"cannot read --config {path}: {e.Message}");
        }
        var doc = SyntaxParser.Parse(text, path, validate: true);
        var firstError = doc.Diagnostics.FirstOrDefault(d => d.Kind == DiagnosticMessageKind.Error);
        if (firstError is not null)
        {
            if (FlatConfigFile.LooksFlat(text, firstError.Span.Start.Line))
                return new ConfigContents(FlatConfigFile.Read(path, text),
                    [$"{path} is in the old flat form, not TOML; it is read as before, but quote string values (min-size = \"64K\") to make it TOML"]);
            throw Usage.Error($"{path}:{firstError.Span.Start.Line + 1}: {OneLine(firstError.Message)}");
        }
        var entries = new List<ConfigEntry>();
        foreach (var kv in doc.KeyValues)
            KeyValue(path, entries, [], kv);
        foreach (var table in doc.Tables)
        {
            int line = table.Span.Start.Line + 1;
            if (table is TableArraySyntax)
                throw Usage.Error($"{path}:{line}: [[{KeyText(table.Name)}]] is an array of tables; options go in plain sections like [influx]");
            var section = KeyParts(table.Name!);
            foreach (var item in table.Items)
                KeyValue(path, entries, section, item);
        }
        return new ConfigContents(entries, []);
    }

    private static void KeyValue(string path, List<ConfigEntry> entries, IReadOnlyList<string> section, KeyValueSyntax kv)
    {
        int line = kv.Span.Start.Line + 1;
        var key = section.Concat(KeyParts(kv.Key!)).ToList();
        try
        {
            if (kv.Value is InlineTableSyntax inline)
            {
                foreach (var item in inline.Items)
                    if (item.KeyValue is { } inner)
                        KeyValue(path, entries, key, inner);
                return;
            }
            var (option, isList) = OptionName(key);
            if (option == "--config")
                throw Usage.Error("a config file cannot include another");
            string shown = string.Join('.', key);
            if (kv.Value is ArraySyntax array)
            {
                foreach (var item in array.Items)
                    entries.Add(new ConfigEntry(path, line, option, shown, Value(shown, item.Value!)));
                return;
            }
            if (isList)
                throw Usage.Error($"'{shown}' takes an array of rules, e.g. [\"p999 > 5ms for 3 intervals\"]");
            entries.Add(new ConfigEntry(path, line, option, shown, Value(shown, kv.Value!)));
        }
        catch (AlloclatException e) when (!e.Message.StartsWith(path + ":", StringComparison.Ordinal))
        {
            throw Usage.Error($"{path}:{line}: {e.Message}");
        }
    }

    private static object Value(string shown, ValueSyntax value) => value switch
    {
        BooleanValueSyntax b => b.Value,
        StringValueSyntax s => ConfigValues.Expand(s.Value ?? ""),
        IntegerValueSyntax i => i.Value.ToString(CultureInfo.InvariantCulture),
        FloatValueSyntax f => f.Value.ToString(CultureInfo.InvariantCulture),
        _ => throw Usage.Error($"'{shown}' takes a string, a number or true/false"),
    };

    /// <summary>The option a key names: <c>[influx] url</c> is <c>--influx-url</c>; <c>[alerts] rules</c> is <c>--alert</c>, repeated.</summary>
    private static (string Option, bool IsList) OptionName(IReadOnlyList<string> key)
    {
        if (key.Count == 1)
            return ("--" + key[0], false);
        string section = key[0], rest = string.Join('-', key.Skip(1));
        return section switch
        {
            "targets" => ("--" + rest, false),
            "alerts" when rest is "rules" => ("--alert", true),
            "alerts" => ("--" + (rest.StartsWith("alert-", StringComparison.Ordinal) || rest == "alert" ? rest : "alert-" + rest), false),
            _ => ("--" + (rest.StartsWith(section + "-", StringComparison.Ordinal) ? rest : section + "-" + rest), false),
        };
    }

    private static List<string> KeyParts(KeySyntax key)
    {
        var parts = new List<string> { KeyPart(key.Key) };
        foreach (var dot in key.DotKeys)
            parts.Add(KeyPart(dot.Key));
        return parts;
    }

    private static string KeyPart(BareKeyOrStringValueSyntax? part) => part switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? "",
        StringValueSyntax s => s.Value ?? "",
        _ => "",
    };

    private static string KeyText(KeySyntax? key) => key is null ? "" : string.Join('.', KeyParts(key));

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
