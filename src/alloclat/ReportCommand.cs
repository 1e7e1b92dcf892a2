using Alloclat.Cli.Report;
using Tracer.Core;
using Tracer.Sinks;

namespace Alloclat.Cli;

/// <summary><c>alloclat report FILE.lp [-o report.html] [--png DIR]</c>: a run's line protocol as a page to read.</summary>
internal sealed class ReportCommand(IReadOnlyList<string> args, IConsole console)
{
    public const string Usage = """
        Usage: alloclat report FILE.lp [-o report.html] [--png DIR]

        Turns a line-protocol file written by 'alloclat record' into one self-contained HTML page (nothing is
        loaded from elsewhere): p50/p99/p99.9/max over time per series, a latency heatmap by size class, GC
        pauses, the slow calls with their causes and stacks, and a flame graph of where slow calls come from.

        Options:
          -o, --output FILE   the HTML file (default: FILE.lp with .html)
              --png DIR       also write the plots as PNG files into DIR
        """;

    public int Run()
    {
        string? input = null, output = null, png = null;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw OptionParser.Bad($"option {a} needs a value");
            switch (a)
            {
                case "-h" or "--help":
                    console.Out.WriteLine(Usage);
                    return 0;
                case "-o" or "--output":
                    output = Value();
                    break;
                case "--png":
                    png = Value();
                    break;
                case var _ when a.StartsWith('-'):
                    throw OptionParser.Bad($"unknown option {a} (see 'alloclat report --help')");
                case var _ when input is null:
                    input = a;
                    break;
                default:
                    throw OptionParser.Bad($"unexpected argument '{a}': give one FILE.lp");
            }
        }
        if (input is null)
            throw OptionParser.Bad("give the line-protocol file to report on: alloclat report FILE.lp");
        output ??= Path.ChangeExtension(input, ".html");

        ReportData data;
        try
        {
            using var reader = new StreamReader(input);
            data = ReportData.From(LineProtocolReader.Read(reader).ToList());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OptionParser.Bad($"cannot read {input}: {e.Message}");
        }
        catch (FormatException e)
        {
            throw OptionParser.Bad($"{input}: {e.Message}");
        }
        try
        {
            File.WriteAllText(output, HtmlReport.Render(data, input));
            console.Error.WriteLine($"[INFO] wrote {output}: {data.Latency.Count} series, {data.GcPauses.Count} GC pause series, {data.Spikes.Count} slow calls over {data.Times.Count} intervals");
            if (png is not null)
            {
                Directory.CreateDirectory(png);
                var files = PngReport.Write(data, png);
                console.Error.WriteLine($"[INFO] wrote {files.Count} PNG files to {png}");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AlloclatException(ReturnCode.ArgumentError, $"cannot write the report: {e.Message}");
        }
        return 0;
    }
}
