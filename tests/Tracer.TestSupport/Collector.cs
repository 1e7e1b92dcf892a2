namespace Tracer.TestSupport;

/// <summary>The repository and the collector `make build` left in it (bin/alloclat), run as a user would.</summary>
public static class Collector
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string Exe => Path("bin", "alloclat");

    public static string Workload(string name) => Path("build", "workloads", name);

    public static string Demo => Path("build", "demo", "alloc_demo");

    /// <summary>Runs bin/alloclat to completion (killed after <paramref name="timeout"/>), capturing its output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(IEnumerable<string> args, TimeSpan timeout) =>
        CapturedProcess.Start(Exe, args).Wait(timeout);

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(System.IO.Path.Combine(d.FullName, "Tracer.sln")))
                return d.FullName;
        throw new InvalidOperationException("Tracer.sln not found above the test directory");
    }
}
