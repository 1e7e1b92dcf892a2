using System.CommandLine;

namespace Alloclat.Cli.CommandLine;

/// <summary>The options of <c>alloclat ps</c>.</summary>
internal static class PsCommandLine
{
    private const string Description = """
        Lists the processes alloclat can trace: PID, name, allocators (glibc, jemalloc, tcmalloc, mimalloc, or an
        LD_PRELOAD one; "(static)" when linked into the executable, "(preloaded)" from LD_PRELOAD; go), the Go
        version or .NET runtime, the container id or cgroup, and what can be probed (or why not).
        """;

    public static (Command Command, VerbHelp Help) Create(IConsole console)
    {
        var name = Opt.Text("--name", "NAME", "only processes of this name (as record -n matches them)", aliases: "-n");
        var command = new Command("ps", Description) { name };
        command.SetAction(r => new PsCommand(r.GetValue(name), console).Run());
        return (command, new VerbHelp(["alloclat ps [-n NAME]"]));
    }
}
