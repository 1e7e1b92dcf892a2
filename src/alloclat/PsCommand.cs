using Tracer.Core;
using Tracer.Probes;

namespace Alloclat.Cli;

/// <summary>
/// <c>alloclat ps</c>: the processes that can be traced, with their allocators, Go or .NET runtime, where they run
/// (container or cgroup) and what alloclat can probe in them, or why not.
/// </summary>
internal sealed class PsCommand(string? name, IConsole console)
{
    public int Run()
    {
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
