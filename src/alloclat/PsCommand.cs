using Tracer.Core;
using Tracer.Probes;

namespace Alloclat.Cli;

/// <summary>
/// <c>alloclat ps</c>: the processes that can be traced, with their allocators, Go or .NET runtime, where they run
/// (container or cgroup) and what alloclat can probe in them, or why not.
/// </summary>
internal sealed class PsCommand(IReadOnlyList<string> args, IConsole console)
{
    public const string Usage = """
        Usage: alloclat ps [-n NAME]

        Lists the processes alloclat can trace: PID, name, allocators (glibc, jemalloc, tcmalloc, mimalloc, or an
        LD_PRELOAD one; "(static)" when linked into the executable, "(preloaded)" from LD_PRELOAD; go), the Go
        version or .NET runtime, the container id or cgroup, and what can be probed (or why not).

        Options:
          -n, --name NAME   only processes of this name (as record -n matches them)
        """;

    public int Run()
    {
        string? name = null;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    console.Out.WriteLine(Usage);
                    return 0;
                case "-n" or "--name" when i + 1 < args.Count:
                    name = args[++i];
                    break;
                case "-n" or "--name":
                    throw OptionParser.Bad($"option {args[i]} needs a value");
                default:
                    throw OptionParser.Bad($"unknown option {args[i]} (see 'alloclat ps --help')");
            }
        }
        var rows = new List<string[]> { new[] { "PID", "NAME", "ALLOCATORS", "RUNTIME", "CONTAINER", "PROBE" } };
        foreach (var p in new ProcessSurvey().All())
        {
            if (name is not null && p.Name != name)
                continue;
            rows.Add([
                p.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                p.Name.Replace(' ', '_'),
                p.Allocators.Count == 0 ? "-" : string.Join(",", p.Allocators).Replace(' ', '_'),
                p.Runtime?.Replace(' ', '_') ?? "-",
                p.Container ?? p.Cgroup,
                p.Probe,
            ]);
        }
        var widths = Enumerable.Range(0, 5).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var r in rows)
            console.Out.WriteLine(string.Join("  ", r.Take(5).Select((v, c) => v.PadRight(widths[c]))) + "  " + r[5]);
        return (int)ReturnCode.Ok;
    }
}
