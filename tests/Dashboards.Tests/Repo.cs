using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Dashboards.Tests;

/// <summary>Paths in the repository and the built collector.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static JsonDocument Dashboard() => JsonDocument.Parse(File.ReadAllText(Path("dashboards", "alloclat.json")));

    /// <summary>Runs bin/alloclat with <paramref name="args"/>; returns its exit code and stderr.</summary>
    public static (int ExitCode, string Stderr) RunCollector(IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(Path("bin", "alloclat")) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = System.IO.Path.GetTempPath() };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = new Process { StartInfo = psi };
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"alloclat did not finish within {timeout}:\n{stderr}");
        }
        p.WaitForExit();
        lock (stderr) return (p.ExitCode, stderr.ToString());
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(System.IO.Path.Combine(d.FullName, "Tracer.sln")))
                return d.FullName;
        throw new InvalidOperationException("Tracer.sln not found above the test directory");
    }
}
