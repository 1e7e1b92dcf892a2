using System.CommandLine;
using System.CommandLine.Parsing;

namespace Alloclat.Cli.CommandLine;

/// <summary>
/// The mistakes of a parse as alloclat words them, one line each: an option's own message (a bad value), a missing
/// value, an unknown option (its value, when one follows, is not a second mistake) or an argument where none
/// belongs.
/// </summary>
internal static class ParseErrors
{
    /// <param name="argumentHint">What to say about a stray argument (record: put the command after --).</param>
    public static List<string> Lines(ParseResult r, string verb, string? argumentHint = null)
    {
        var lines = new List<string>();
        foreach (var error in r.Errors)
        {
            string? line = error.SymbolResult switch
            {
                OptionResult o when o.Tokens.Count == 0 && o.Option.Arity.MinimumNumberOfValues > 0 => $"option {Opt.Typed(o)} needs a value",
                OptionResult or ArgumentResult => error.Message,
                _ => null,
            };
            if (line is not null && !lines.Contains(line))
                lines.Add(line);
        }
        var unmatched = r.UnmatchedTokens;
        var tokens = r.Tokens.Select(t => t.Value).ToList();
        int at = 0;
        for (int i = 0; i < unmatched.Count; i++)
        {
            string token = unmatched[i];
            at = Math.Max(at, tokens.IndexOf(token, at));
            if (token.StartsWith('-') && token.Length > 1)
            {
                lines.Add($"unknown option {token} (see 'alloclat {verb} --help')");
                // The word right after an unknown option is taken as its value.
                if (i + 1 < unmatched.Count && !unmatched[i + 1].StartsWith('-') && at + 1 < tokens.Count && tokens[at + 1] == unmatched[i + 1])
                    i++;
            }
            else
            {
                // What follows a stray argument is most likely its own arguments (a command without --).
                lines.Add(argumentHint is null ? $"unexpected argument '{token}'" : $"unexpected argument '{token}': {argumentHint}");
                break;
            }
        }
        // Anything else System.CommandLine found (a missing command) in its own words.
        if (lines.Count == 0)
            lines.AddRange(r.Errors.Select(e => e.Message).Distinct());
        return lines;
    }
}
