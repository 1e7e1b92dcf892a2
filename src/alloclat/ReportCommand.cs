using Alloclat.Cli.CommandLine;
using Alloclat.Cli.Report;
using Tracer.Core;
using Tracer.Sinks;

namespace Alloclat.Cli;

/// <summary><c>alloclat report FILE.lp [-o report.html] [--png DIR]</c>: a run's line protocol as a page to read.</summary>
internal sealed class ReportCommand(string input, string? output, string? png, IConsole console)
{
    public int Run()
    {
        output ??= Path.ChangeExtension(input, ".html");

        ReportData data;
        try
        {
            using var reader = new StreamReader(input);
            data = ReportData.From(LineProtocolReader.Read(reader).ToList());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Usage.Error($"cannot read {input}: {e.Message}");
        }
        catch (FormatException e)
        {
            throw Usage.Error($"{input}: {e.Message}");
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
