using System.CommandLine;

namespace Alloclat.Cli.CommandLine;

/// <summary>The options of <c>alloclat merge</c>.</summary>
internal static class MergeCommandLine
{
    private const string Description = """
        Merges the histograms in line-protocol files written by 'alloclat record --histograms' (one per host, or
        several per host) per series and interval window, as 'alloclat aggregate' does, and writes
        alloc_latency_fleet (and gc_pause_fleet) line protocol to FILE or standard output. The same interval of the
        same host found twice is merged once.
        """;

    public static (Command Command, VerbHelp Help) Create(IConsole console)
    {
        var output = Opt.Text("--output", "FILE", "write here instead of standard output", aliases: "-o");
        var interval = Opt.Value("--interval", "TIME", "the collectors' interval (default 1s)", OptionValues.Duration);
        var files = Opt.Files("FILES", "line-protocol files written with --histograms", "merge");
        var command = new Command("merge", Description) { output, interval, files };
        command.SetAction(r => MergeCommand.Run(r.GetValue(files) ?? [], r.GetValue(output), r.GetValue(interval) ?? TimeSpan.FromSeconds(1), console));
        return (command, new VerbHelp(["alloclat merge [-o FILE] [--interval TIME] FILES..."],
            "Exit codes: 0 ok, 2 bad option, unreadable file or histogram line."));
    }
}
