using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Alloclat.Cli.Record;

namespace Alloclat.Cli.CommandLine;

/// <summary>
/// The whole command line: every verb declared on System.CommandLine, which gives help, completion
/// (<c>[suggest]</c>) and response files (<c>@file</c>). Before the options are read, the record command's
/// <c>-- COMMAND</c> is split off (it is the traced command's, untouched) and <c>--config</c> files are put in place.
/// Every mistake is one line; the verbs' actions run only on a clean parse.
/// </summary>
internal sealed class AlloclatCommandLine
{
    private static readonly ParserConfiguration s_literal = new() { ResponseFileTokenReplacer = null };
    private readonly IConsole _console;
    private readonly RootCommand _root;
    private readonly Command _record;
    private readonly HelpText _help;
    private IReadOnlyList<string> _tail = [];
    private IReadOnlyList<string> _warnings = [];

    /// <param name="runRecord">What a valid <c>record</c> does; by default it traces.</param>
    public AlloclatCommandLine(IConsole console, Func<RecordOptions, Task<int>>? runRecord = null)
    {
        _console = console;
        runRecord ??= o => new RecordCommand(o, console).RunAsync();
        var record = new RecordCommandLine();
        var aggregate = new AggregateCommandLine();
        _record = record.Create();
        _record.SetAction(async (r, _) =>
        {
            var options = record.Bind(r, _tail, _warnings);
            foreach (var warning in options.Warnings)
                console.Error.WriteLine($"[WARN] {warning}");
            return await runRecord(options);
        });
        var aggregateCommand = aggregate.Create();
        aggregateCommand.SetAction(async (r, _) => await new AggregateCommand(aggregate.Bind(r), console).RunAsync());
        var merge = MergeCommandLine.Create(console);
        var ps = PsCommandLine.Create(console);
        var report = ReportCommandLine.Create(console);

        _root = new RootCommand(RootDescription) { _record, aggregateCommand, merge.Command, ps.Command, report.Command };
        _help = new HelpText(new Dictionary<Command, VerbHelp>
        {
            [_root] = new(RootUsage),
            [_record] = RecordCommandLine.Help,
            [aggregateCommand] = AggregateCommandLine.Help,
            [merge.Command] = merge.Help,
            [ps.Command] = ps.Help,
            [report.Command] = report.Help,
        }, console.Out);
        foreach (var option in _root.Options)
        {
            if (option is HelpOption help)
                help.Action = _help;
            else if (option is VersionOption version)
                version.Action = new VersionText(console.Out);
        }
    }

    // The record verb's usage lines come first, as record's own help shows them.
    private static readonly string[] RootUsage =
    [
        .. RecordCommandLine.Help.UsageLines,
        "alloclat aggregate [options]                     merge many hosts' histograms from Kafka",
        "alloclat merge [options] FILES...                merge --histograms files offline",
        "alloclat ps [-n NAME]                            processes that can be traced, and how",
        "alloclat report FILE.lp [-o FILE.html] [--png DIR]   a recorded run as one HTML page (and PNGs)",
    ];

    private const string RootDescription = RecordCommandLine.Description + "\nEach verb lists its options with --help (alloclat record --help).";

    /// <summary>Parses and runs; every mistake is one <c>[ERROR]</c> line on the console's error writer and exit code 2.</summary>
    public async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
        {
            _console.Out.Write(_help.Render(_root));
            return (int)ReturnCode.ArgumentError;
        }
        var result = Parse(args);
        var errors = Errors(result);
        if (errors.Count > 0)
        {
            foreach (var line in errors)
                _console.Error.WriteLine($"[ERROR] {line}");
            return (int)ReturnCode.ArgumentError;
        }
        return await result.InvokeAsync(new InvocationConfiguration
        {
            Output = _console.Out,
            Error = _console.Error,
            EnableDefaultExceptionHandler = false,
            // The record command handles SIGINT/SIGTERM itself: it writes the last interval before it exits.
            ProcessTerminationTimeout = null,
        });
    }

    /// <summary><c>record</c>'s options as a run would get them, or the first mistake as an exception.</summary>
    public static RecordOptions ParseRecord(IReadOnlyList<string> args)
    {
        RecordOptions? parsed = null;
        var cli = new AlloclatCommandLine(new NullConsole(), o =>
        {
            parsed = o;
            return Task.FromResult(0);
        });
        var result = cli.Parse(["record", .. args]);
        var errors = cli.Errors(result);
        if (errors.Count > 0)
            throw Usage.Error(errors[0]);
        result.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        return parsed!;
    }

    private ParseResult Parse(IReadOnlyList<string> args)
    {
        if (args[0] == "help")
            args = ["--help"];
        if (!args[0].StartsWith('-') && !args[0].StartsWith('[') && !args[0].StartsWith('@') && _root.Subcommands.All(c => c.Name != args[0]))
            throw Usage.Error($"unknown command '{args[0]}' (try 'alloclat record --help')");
        // The first parse reads response files and directives (completion); the second reads the options.
        var first = _root.Parse(args);
        if (first.Tokens.Any(t => t.Type == TokenType.Directive) || first.CommandResult.Command != _record)
            return first;
        int dash = first.Tokens.ToList().FindIndex(t => t.Type == TokenType.DoubleDash);
        var tokens = first.Tokens.Select(t => t.Value).ToList();
        var before = dash < 0 ? tokens : tokens[..dash];
        _tail = dash < 0 ? [] : tokens[(dash + 1)..];
        var (expanded, warnings) = ConfigExpansion.Expand(before, _root, _record);
        _warnings = warnings;
        return _root.Parse(ExplicitFlags(expanded, _record), s_literal);
    }

    /// <summary>
    /// Every flag written with its value (<c>-q</c> becomes <c>-q true</c>), so that of several occurrences, bare or
    /// with a value (<c>--quiet false</c> from a config file), the last one counts.
    /// </summary>
    private static List<string> ExplicitFlags(IReadOnlyList<string> tokens, Command command)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            result.Add(tokens[i]);
            var option = command.Options.FirstOrDefault(o => o.Name == tokens[i] || o.Aliases.Contains(tokens[i]));
            if (option is null)
                continue;
            bool valued = i + 1 < tokens.Count && tokens[i + 1] is "true" or "false";
            if (option.ValueType != typeof(bool))
            {
                if (i + 1 < tokens.Count && option.Arity.MinimumNumberOfValues > 0)
                    result.Add(tokens[++i]);
            }
            else if (!valued)
                result.Add("true");
        }
        return result;
    }

    private List<string> Errors(ParseResult result)
    {
        if (result.Errors.Count == 0 || result.Action is HelpText or { ClearsParseErrors: true })
            return [];
        var command = result.CommandResult.Command;
        return ParseErrors.Lines(result, command == _root ? "record" : command.Name,
            command == _record ? "put the command to trace after --" : null);
    }

    private sealed class VersionText(TextWriter output) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            output.WriteLine($"alloclat {typeof(Program).Assembly.GetName().Version?.ToString(3)}");
            return 0;
        }
    }

    private sealed class NullConsole : IConsole
    {
        public TextWriter Out => TextWriter.Null;
        public TextWriter Error => TextWriter.Null;
    }
}
