namespace Tracer.TestSupport;

/// <summary>The repository and the collector `make build` left in it (bin/alloclat), run as a user would.</summary>
public static class Collector
{
    public static string Root => Repository.Root;

    public static string Path(params string[] parts) => Repository.Path(parts);

    public static string Exe => Path("bin", "alloclat");

    public static string Workload(string name) => Path("build", "workloads", name);

    public static string Demo => Path("build", "demo", "alloc_demo");

    /// <summary>Runs bin/alloclat to completion (killed after <paramref name="timeout"/>), capturing its output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(IEnumerable<string> args, TimeSpan timeout)
    {
        using var p = CapturedProcess.Start(Exe, args);
        return p.Wait(timeout);
    }
}
