using System.CommandLine;

namespace Alloclat.Cli.CommandLine;

/// <summary>The options of <c>alloclat report</c>.</summary>
internal static class ReportCommandLine
{
    private const string Description = """
        Turns a line-protocol file written by 'alloclat record' into one self-contained HTML page (nothing is
        loaded from elsewhere): p50/p99/p99.9/max over time per series, a latency heatmap by size class, GC
        pauses, the slow calls with their causes and stacks, and a flame graph of where slow calls come from.
        """;

    public static (Command Command, VerbHelp Help) Create(IConsole console)
    {
        var output = Opt.Text("--output", "FILE", "the HTML file (default: FILE.lp with .html)", aliases: "-o");
        var png = Opt.Text("--png", "DIR", "also write the plots as PNG files into DIR");
        var input = Opt.Files("FILE.lp", "the line-protocol file", "report");
        var command = new Command("report", Description) { output, png, input };
        command.SetAction(r =>
        {
            var files = r.GetValue(input) ?? [];
            if (files.Length == 0)
                throw Usage.Error("give the line-protocol file to report on: alloclat report FILE.lp");
            if (files.Length > 1)
                throw Usage.Error($"unexpected argument '{files[1]}': give one FILE.lp");
            return new ReportCommand(files[0], r.GetValue(output), r.GetValue(png), console).Run();
        });
        return (command, new VerbHelp(["alloclat report FILE.lp [-o report.html] [--png DIR]"]));
    }
}
