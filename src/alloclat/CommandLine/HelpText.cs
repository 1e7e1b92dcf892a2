using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text;

namespace Alloclat.Cli.CommandLine;

/// <summary>A verb's usage lines and the paragraph after its options (exit codes).</summary>
internal sealed record VerbHelp(IReadOnlyList<string> UsageLines, string? Footer = null);

/// <summary>
/// Help generated from the declared commands and options, in the form the README shows: usage lines, the
/// description, then one entry per option (<c>-p, --process-id PID   description</c>), wrapped to the width.
/// </summary>
internal sealed class HelpText(IReadOnlyDictionary<Command, VerbHelp> verbs, TextWriter output) : SynchronousCommandLineAction
{
    private const int Width = 116, Column = 27;

    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        output.Write(Render(parseResult.CommandResult.Command));
        return 0;
    }

    public string Render(Command command)
    {
        var sb = new StringBuilder();
        var help = verbs.GetValueOrDefault(command);
        var usage = help?.UsageLines ?? [$"alloclat {command.Name} [options]"];
        for (int i = 0; i < usage.Count; i++)
            sb.Append(i == 0 ? "Usage: " : "       ").Append(usage[i]).Append('\n');
        if (!string.IsNullOrEmpty(command.Description))
            sb.Append('\n').Append(command.Description.TrimEnd()).Append('\n');
        sb.Append("\nOptions:\n");
        foreach (var option in command.Options.Where(o => !o.Hidden && o is not System.CommandLine.Help.HelpOption))
            Entry(sb, Label(option), option.Description ?? "");
        Entry(sb, "-h, --help", "show this help");
        if (help?.Footer is { } footer)
            sb.Append('\n').Append(footer.TrimEnd()).Append('\n');
        return sb.ToString();
    }

    private static string Label(Option option)
    {
        var shortAlias = option.Aliases.FirstOrDefault(a => a.Length == 2 && a[0] == '-' && a[1] != '-');
        string label = (shortAlias is null ? "    " : shortAlias + ", ") + option.Name;
        return option.HelpName is { } name ? label + " " + name : label;
    }

    private static void Entry(StringBuilder sb, string label, string description)
    {
        sb.Append("  ").Append(label);
        int at = 2 + label.Length;
        if (at >= Column)
        {
            sb.Append('\n');
            at = 0;
        }
        sb.Append(' ', Column - at);
        at = Column;
        bool first = true;
        foreach (var word in description.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!first && at + 1 + word.Length > Width)
            {
                sb.Append('\n').Append(' ', Column);
                at = Column;
                first = true;
            }
            if (!first)
            {
                sb.Append(' ');
                at++;
            }
            sb.Append(word);
            at += word.Length;
            first = false;
        }
        sb.Append('\n');
    }
}
