using System.CommandLine;
using System.CommandLine.Parsing;

namespace Alloclat.Cli.CommandLine;

/// <summary>
/// How alloclat declares its options on System.CommandLine. A value option given more than once keeps its last
/// value (so what follows <c>--config</c> overrides the file); a flag takes an optional <c>true</c>/<c>false</c> (so a
/// config file's <c>false</c> undoes it); a list option collects every occurrence in order. A value that does not
/// parse is one error, the parser's <see cref="FormatException"/> message, naming the option as the user typed it.
/// </summary>
internal static class Opt
{
    /// <summary>Parses one value; <paramref name="name"/> is the option as typed (<c>-n</c> or <c>--name</c>).</summary>
    public delegate T Parser<out T>(string name, string value);

    public static Option<T?> Value<T>(string name, string helpName, string description, Parser<T> parse, params string[] aliases)
        where T : struct
    {
        var option = new Option<T?>(name, aliases) { HelpName = helpName, Description = description, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        option.CustomParser = r => r.Tokens.Count == 0 ? null : Parse<T?>(r, r.Tokens[^1].Value, (n, v) => parse(n, v), null);
        return option;
    }

    public static Option<string?> Text(string name, string helpName, string description, Parser<string>? parse = null, params string[] aliases)
    {
        var option = new Option<string?>(name, aliases) { HelpName = helpName, Description = description, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        option.CustomParser = r => r.Tokens.Count == 0 ? null : parse is null ? r.Tokens[^1].Value : Parse<string?>(r, r.Tokens[^1].Value, (n, v) => parse(n, v), null);
        return option;
    }

    public static Option<T[]> List<T>(string name, string helpName, string description, Parser<IEnumerable<T>> parse, params string[] aliases)
    {
        var option = new Option<T[]>(name, aliases) { HelpName = helpName, Description = description, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        option.CustomParser = r => r.Tokens.SelectMany(t => Parse(r, t.Value, parse, [])).ToArray();
        option.DefaultValueFactory = _ => [];
        return option;
    }

    public static Option<bool> Flag(string name, string description, params string[] aliases)
    {
        var option = new Option<bool>(name, aliases) { Description = description, Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = false };
        option.CustomParser = r =>
        {
            bool on = true;
            for (int i = 0; i < r.Tokens.Count; i++)
            {
                if (!bool.TryParse(r.Tokens[i].Value, out on))
                {
                    // Not a value for the flag: the token goes back to be reported (or taken) as what it is.
                    r.OnlyTake(i);
                    return i == 0 || bool.Parse(r.Tokens[i - 1].Value);
                }
            }
            return on;
        };
        return option;
    }

    /// <summary>
    /// An option that is refused whenever it is given, with the reason (a secret that would show in ps); hidden
    /// from help.
    /// </summary>
    public static Option<string?> Refused(string name, string reason)
    {
        var option = new Option<string?>(name) { Hidden = true, Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = false };
        option.Validators.Add(r => r.AddError(reason));
        return option;
    }

    /// <summary>Positional arguments (files) that refuse what looks like an option, as an unknown option of the verb.</summary>
    public static Argument<string[]> Files(string name, string description, string verb)
    {
        var argument = new Argument<string[]>(name) { Arity = ArgumentArity.ZeroOrMore, Description = description };
        argument.Validators.Add(r =>
        {
            foreach (var token in r.Tokens.Where(t => t.Value.Length > 1 && t.Value[0] == '-'))
                r.AddError($"unknown option {token.Value} (see 'alloclat {verb} --help')");
        });
        return argument;
    }

    /// <summary>The option as the user typed it, for messages.</summary>
    public static string Typed(SymbolResult r) => r switch
    {
        OptionResult o => o.IdentifierToken?.Value ?? o.Option.Name,
        { Parent: { } parent } => Typed(parent),
        _ => "",
    };

    private static TResult Parse<TResult>(ArgumentResult r, string value, Parser<TResult> parse, TResult failed)
    {
        try
        {
            return parse(Typed(r), value);
        }
        catch (FormatException e)
        {
            r.AddError(e.Message);
            return failed;
        }
    }
}
