using System.Diagnostics;
using System.Text;

namespace Tracer.Alerts.Tests;

/// <summary>Runs the built collector (bin/alloclat from `make build`) as a subprocess.</summary>
internal static class Collector
{
    public static string Root { get; } = FindRoot();

    public static string Exe => Path.Combine(Root, "bin", "alloclat");

    public static string Workload(string name) => Path.Combine(Root, "build", "workloads", name);

    public static string Demo => Path.Combine(Root, "build", "demo", "alloc_demo");

    public static (int ExitCode, string Stdout, string Stderr) Run(IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(Exe) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = new Process { StartInfo = psi };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
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
        lock (stdout) lock (stderr) return (p.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tracer.sln")))
                return d.FullName;
        throw new InvalidOperationException("Tracer.sln not found above the test directory");
    }
}
