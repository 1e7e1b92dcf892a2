using System.CommandLine;
using Tracer.Alerts;

namespace Alloclat.Cli.CommandLine;

/// <summary>The alert-rule options shared by <c>record</c> and <c>aggregate</c>.</summary>
internal sealed class AlertOptionGroup
{
    public Option<AlertRule[]> Rules { get; } = Opt.List("--alert", "RULE",
        "alert rule, repeatable: 'p999 > 5ms for 3 intervals', 'p999 > 4x baseline(30) for 2 intervals resolve after 3 intervals op=mmap' (docs/alerts.md); state changes go to stderr, the table, the output and InfluxDB",
        OptionValues.Alert);

    public Option<AlertRule[]> Files { get; } = Opt.List("--alert-file", "FILE", "rules, one per line, # starts a comment", OptionValues.AlertFile);

    public void AddTo(Command command)
    {
        command.Options.Add(Rules);
        command.Options.Add(Files);
    }

    public IReadOnlyList<AlertRule> Bind(ParseResult r) => [.. r.GetValue(Rules) ?? [], .. r.GetValue(Files) ?? []];
}
