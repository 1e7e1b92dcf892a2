namespace Tracer.TestSupport;

/// <summary>
/// The checkout the tests run from, found above the test assembly (the directory holding Tracer.sln), so a
/// worktree's tests use that worktree's build.
/// </summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(System.IO.Path.Combine(d.FullName, "Tracer.sln")))
                return d.FullName;
        throw new InvalidOperationException("Tracer.sln not found above the test directory");
    }
}
