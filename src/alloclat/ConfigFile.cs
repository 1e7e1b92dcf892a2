using System.Globalization;
using Tomlyn.Parsing;
using Tomlyn.Syntax;
using Tracer.Core;

namespace Alloclat.Cli;

/// <summary>
/// <c>--config FILE</c>: the long options of <c>alloclat record</c> in TOML. A key is an option's long name without
/// the dashes, at the top level or in the section its name begins with: <c>[influx] url</c> is
/// <c>--influx-url</c>, <c>[kafka] brokers</c> is <c>--kafka-brokers</c>, <c>[alerts] webhook</c> is
/// <c>--alert-webhook</c> and <c>[alerts] rules = [...]</c> is one <c>--alert</c> per rule, <c>[targets]</c> holds
/// options under their own names (<c>name</c>, <c>cgroup</c>, <c>process-id</c>). An array repeats the option;
/// <c>true</c> sets a flag and <c>false</c> undoes it; strings expand <c>${VAR}</c> (and <c>${VAR:-default}</c>)
/// from the environment. Options given after <c>--config</c> on the command line override the file. Every mistake
/// is one message naming the file and line. The earlier flat form (<c>min-size = 64K</c>, not TOML) is still read,
/// with a warning.
/// </summary>
internal static class ConfigFile
{
    public delegate RecordOptions ApplyOption(RecordOptions options, string name, string arg, Func<string> value);

    public static RecordOptions Apply(RecordOptions options, string path, ApplyOption apply)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OptionParser.Bad($"cannot read --config {path}: {e.Message}");
        }
        var doc = SyntaxParser.Parse(text, path, validate: true);
        var firstError = doc.Diagnostics.FirstOrDefault(d => d.Kind == DiagnosticMessageKind.Error);
        if (firstError is not null)
        {
            if (FlatConfigFile.LooksFlat(text, firstError.Span.Start.Line))
            {
                options = FlatConfigFile.Apply(options, path, text, apply);
                return options with
                {
                    Warnings = [.. options.Warnings,
                        $"{path} is in the old flat form, not TOML; it is read as before, but quote string values (min-size = \"64K\") to make it TOML"],
                };
            }
            throw OptionParser.Bad($"{path}:{firstError.Span.Start.Line + 1}: {OneLine(firstError.Message)}");
        }
        var reader = new Reader(path, apply);
        foreach (var kv in doc.KeyValues)
            options = reader.KeyValue(options, [], kv);
        foreach (var table in doc.Tables)
        {
            int line = table.Span.Start.Line + 1;
            if (table is TableArraySyntax)
                throw OptionParser.Bad($"{path}:{line}: [[{KeyText(table.Name)}]] is an array of tables; options go in plain sections like [influx]");
            var section = KeyParts(table.Name!);
            foreach (var item in table.Items)
                options = reader.KeyValue(options, section, item);
        }
        return options;
    }

    private sealed class Reader(string path, ApplyOption apply)
    {
        public RecordOptions KeyValue(RecordOptions o, IReadOnlyList<string> section, KeyValueSyntax kv)
        {
            int line = kv.Span.Start.Line + 1;
            var key = section.Concat(KeyParts(kv.Key!)).ToList();
            try
            {
                if (kv.Value is InlineTableSyntax inline)
                {
                    foreach (var item in inline.Items)
                        if (item.KeyValue is { } inner)
                            o = KeyValue(o, key, inner);
                    return o;
                }
                var (option, isList) = OptionName(key);
                if (option == "--config")
                    throw OptionParser.Bad("a config file cannot include another");
                string shown = string.Join('.', key);
                if (kv.Value is ArraySyntax array)
                {
                    foreach (var item in array.Items)
                        o = One(o, option, shown, item.Value!);
                    return o;
                }
                if (isList)
                    throw OptionParser.Bad($"'{shown}' takes an array of rules, e.g. [\"p999 > 5ms for 3 intervals\"]");
                return One(o, option, shown, kv.Value!);
            }
            catch (AlloclatException e) when (!e.Message.StartsWith(path + ":", StringComparison.Ordinal))
            {
                throw OptionParser.Bad($"{path}:{line}: {e.Message}");
            }
        }

        private RecordOptions One(RecordOptions o, string option, string shown, ValueSyntax value)
        {
            if (value is BooleanValueSyntax b)
                return Flag(o, option, shown, b.Value);
            string text = value switch
            {
                StringValueSyntax s => ConfigValues.Expand(s.Value ?? ""),
                IntegerValueSyntax i => i.Value.ToString(CultureInfo.InvariantCulture),
                FloatValueSyntax f => f.Value.ToString(CultureInfo.InvariantCulture),
                _ => throw OptionParser.Bad($"'{shown}' takes a string, a number or true/false"),
            };
            bool tookValue = false;
            var applied = apply(o, option, option, () =>
            {
                tookValue = true;
                return text;
            });
            if (tookValue)
                return applied;
            // A flag written as a string, as the flat form did: "true" or "false" only.
            return text switch
            {
                "true" => applied,
                "false" => Flag(o, option, shown, false),
                _ => throw OptionParser.Bad($"'{shown}' takes true or false, not '{text}'"),
            };
        }

        /// <summary>
        /// true applies the flag; false undoes it: every property the flag changes on default options is reset to
        /// its default, so flags added to <see cref="RecordOptions"/> later need nothing here.
        /// </summary>
        private RecordOptions Flag(RecordOptions o, string option, string shown, bool on)
        {
            bool tookValue = false;
            string Value()
            {
                tookValue = true;
                throw OptionParser.Bad($"'{shown}' takes a value, not {(on ? "true" : "false")}");
            }
            if (on)
                return apply(o, option, option, Value);
            var defaults = new RecordOptions();
            var set = apply(defaults, option, option, Value);
            if (tookValue)
                throw OptionParser.Bad($"'{shown}' takes a value, not false");
            var result = o with { };
            foreach (var p in typeof(RecordOptions).GetProperties())
            {
                if (p.CanWrite && !Equals(p.GetValue(defaults), p.GetValue(set)))
                    p.SetValue(result, p.GetValue(defaults));
            }
            return result;
        }
    }

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
