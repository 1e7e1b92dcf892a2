using Alloclat.Cli;

namespace Alloclat.Tests;

/// <summary>
/// Runs the command line inside the test process, with its output and errors captured: for mistakes found while
/// parsing, before anything is traced, opened or written, so no binary needs to be started.
/// </summary>
public static class InProcessCli
{
    public static CliResult Run(params string[] args)
    {
        var console = new CapturedConsole();
        int exit = Program.RunAsync(args, console).GetAwaiter().GetResult();
        return new CliResult(exit, console.Out.ToString()!, console.Error.ToString()!);
    }

    private sealed class CapturedConsole : IConsole
    {
        public TextWriter Out { get; } = new StringWriter();
        public TextWriter Error { get; } = new StringWriter();
    }
}
