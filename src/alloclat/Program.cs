using Alloclat.Cli.CommandLine;
using Tracer.Core;

namespace Alloclat.Cli;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var console = new SystemConsole();
        return await RunAsync(args, console);
    }

    /// <summary>Runs one command line; every failure is one <c>[ERROR]</c> line on the console's error writer and its exit code.</summary>
    public static async Task<int> RunAsync(string[] args, IConsole console)
    {
        try
        {
            return await new AlloclatCommandLine(console).RunAsync(args);
        }
        catch (Exception e) when (ExitCodeMap.For(e) is { } code)
        {
            console.Error.WriteLine($"[ERROR] {e.Message}");
            return (int)code;
        }
    }
}

/// <summary>Where the command writes: the live table to Out, one-line messages to Error.</summary>
public interface IConsole
{
    TextWriter Out { get; }
    TextWriter Error { get; }

    /// <summary>Whether Out is a terminal a live screen can be drawn on.</summary>
    bool OutIsTerminal => false;
}

internal sealed class SystemConsole : IConsole
{
    public TextWriter Out { get; } = Console.Out;
    public TextWriter Error { get; } = Console.Error;

    public bool OutIsTerminal => !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "" or "dumb");
}
