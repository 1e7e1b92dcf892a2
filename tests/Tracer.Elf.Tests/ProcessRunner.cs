using System.Diagnostics;

namespace Tracer.Elf.Tests;

/// <summary>Result of an external command.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs toolchain commands with a hard time limit so a hung tool fails the test instead of the run.</summary>
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
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args)
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

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeoutSeconds}s");
        }
        process.WaitForExit();
        var result = new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
        if (check && result.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {result.ExitCode}: {result.Stderr}{result.Stdout}");
        return result;
    }

    public static string Output(string file, params string[] args) => Run(file, args).Stdout;
}
