using Tracer.Aggregation;
using Tracer.Core;
using Tracer.Sinks;

namespace Alloclat.Cli.Record;

/// <summary>The run summary at the end: printed (unless --quiet) and, with --summary, written as JSON.</summary>
internal sealed class RunSummaryOutput(RecordOptions options, IConsole console)
{
    private readonly RecordOptions _o = options;
    private readonly IConsole _console = console;
    private readonly TextWriter _err = console.Error;

    /// <summary>Prints the run summary (unless --quiet) and writes it as JSON with --summary.</summary>
    public int Report(RunSummary summary, bool terminal, int exitCode)
    {
        if (!_o.Quiet)
        {
            int width = terminal ? Math.Max(Console.WindowWidth, 40) : 160;
            _console.Out.Write(RunSummaryText.Render(summary, width));
            _console.Out.Flush();
        }
        if (_o.SummaryPath is not { } path)
            return exitCode;
        try
        {
            using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
                RunSummaryJson.Write(summary, file);
            _err.WriteLine($"[INFO] run summary written to {path}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _err.WriteLine($"[ERROR] cannot write the run summary to {path}: {e.Message}");
            if (exitCode == 0)
                exitCode = (int)ReturnCode.SinkError;
        }
        return exitCode;
    }
}
