using System.Diagnostics;

namespace Tracer.TestSupport;

/// <summary>Result of an external command.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs a helper command (a compiler, readelf, a shell line) to completion through <see cref="CapturedProcess"/>, with
/// a hard time limit so a hung tool fails the test instead of the run.
/// </summary>
public static class ProcessRunner
{
    public static ProcessResult Run(
        string file,
        IEnumerable<string> args,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null,
        int timeoutSeconds = 120,
        bool check = true,
        bool clearEnvironment = false)
    {
        var argList = args.ToList();
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory };
        foreach (var a in argList)
            psi.ArgumentList.Add(a);
        if (clearEnvironment)
        {
            foreach (var key in psi.Environment.Keys.ToArray())
            {
                if (key is not ("PATH" or "HOME"))
                    psi.Environment.Remove(key);
            }
        }
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
                psi.Environment[k] = v;
        }

        using var process = CapturedProcess.Start(psi);
        var (exit, stdout, stderr) = process.Wait(TimeSpan.FromSeconds(timeoutSeconds));
        var result = new ProcessResult(exit, stdout, stderr);
        if (check && result.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', argList)} exited {result.ExitCode}: {result.Stderr}{result.Stdout}");
        return result;
    }

    /// <summary>The standard output of a command that must succeed.</summary>
    public static string Output(string file, params string[] args) => Run(file, args).Stdout;

    /// <summary>The standard output of a shell command line that must succeed.</summary>
    public static string Sh(string command, int timeoutSeconds = 120) => Run("/bin/sh", ["-c", command], timeoutSeconds: timeoutSeconds).Stdout;
}
