using Tracer.Core;

namespace Alloclat.Cli.CommandLine;

/// <summary>A mistake on the command line or in the config file: one <c>[ERROR]</c> line and exit code 2.</summary>
internal static class Usage
{
    public static AlloclatException Error(string message) => new(ReturnCode.ArgumentError, message);
}
