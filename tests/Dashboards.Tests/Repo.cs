using System.Text.Json;

namespace Dashboards.Tests;

/// <summary>Paths in the repository and the built collector.</summary>
internal static class Repo
{
    public static string Root => Tracer.TestSupport.Repository.Root;

    public static string Path(params string[] parts) => Tracer.TestSupport.Repository.Path(parts);

    public static JsonDocument Dashboard() => JsonDocument.Parse(File.ReadAllText(Path("dashboards", "alloclat.json")));

    /// <summary>Runs bin/alloclat with <paramref name="args"/>; returns its exit code and stderr.</summary>
    public static (int ExitCode, string Stderr) RunCollector(IEnumerable<string> args, TimeSpan timeout)
    {
        var (exit, _, stderr) = Tracer.TestSupport.Collector.Run(args, timeout);
        return (exit, stderr);
    }
}
