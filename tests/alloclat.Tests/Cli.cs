using System.Diagnostics;
using Tracer.TestSupport;

namespace Alloclat.Tests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the built collector (bin/alloclat, made by `make build`) as a user would.</summary>
public static class Cli
{
    public static string Root => Tracer.TestSupport.Collector.Root;

    public static string Exe => Tracer.TestSupport.Collector.Exe;

    public static string Workload(string name) => Tracer.TestSupport.Collector.Workload(name);

    public static string Demo => Tracer.TestSupport.Collector.Demo;

    public static CliResult Run(IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null, string[]? wrapper = null)
    {
        var p = Start(args, env, wrapper);
        return Wait(p, timeout ?? TimeSpan.FromMinutes(2));
    }

    public static CapturedProcess Start(IEnumerable<string> args, IDictionary<string, string>? env = null, string[]? wrapper = null)
    {
        var all = new List<string>();
        if (wrapper is not null)
            all.AddRange(wrapper.Skip(1).Append(Exe));
        all.AddRange(args);
        return CapturedProcess.Start(wrapper is null ? Exe : wrapper[0], all, env);
    }

    /// <summary>
    /// Waits until alloclat says it is tracing (printed once every probe is in place), instead of guessing how long
    /// start-up takes on a busy machine.
    /// </summary>
    public static void WaitUntilTracing(CapturedProcess p, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < (timeout ?? TimeSpan.FromSeconds(60)))
        {
            if (p.StderrSoFar.Contains("[INFO] tracing ", StringComparison.Ordinal))
                return;
            if (p.HasExited)
                throw new InvalidOperationException($"alloclat exited before tracing: {Wait(p, TimeSpan.FromSeconds(5))}");
            Thread.Sleep(20);
        }
        throw new TimeoutException("alloclat did not start tracing");
    }

    public static CliResult Wait(CapturedProcess p, TimeSpan timeout)
    {
        var (exit, stdout, stderr) = p.Wait(timeout);
        return new CliResult(exit, stdout, stderr);
    }

    /// <summary>Runs a shell script in a private mount namespace, to change what one alloclat process sees.</summary>
    public static CliResult RunIsolated(string script) =>
        Wait(CapturedProcess.Start("unshare", ["-m", "sh", "-c", script]), TimeSpan.FromMinutes(1));

    /// <summary>A fresh output path in a temporary directory.</summary>
    public static string TempOutput(string name = "out.lp") =>
        Path.Combine(Directory.CreateTempSubdirectory("alloclat-test-").FullName, name);

    /// <summary>Runs a helper program to completion and returns its standard output; fails the test on error.</summary>
    public static string Sh(string command, TimeSpan? timeout = null) =>
        ProcessRunner.Sh(command, (int)(timeout ?? TimeSpan.FromMinutes(2)).TotalSeconds);
}
