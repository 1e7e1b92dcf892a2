using Tracer.TestSupport;

namespace Dashboards.Tests;

/// <summary>
/// A real InfluxDB 1.6 filled by real traced runs of bin/alloclat into database <see cref="Database"/>: the demo in
/// default mode, the demo in precise mode under libslowalloc with a latency step and an alert rule (allocator,
/// op and alert variety), the Go GC workload (gc_pause) and a .NET program whose large allocations cost collections
/// (gc_pause by reason and generation, dotnet_alloc_sample).
/// </summary>
public sealed class TracedDatabase : IAsyncLifetime
{
    public const string Database = "alloclat";

    public InfluxDb1Fixture Influx { get; } = new();

    public List<string> RunLogs { get; } = [];

    public async Task InitializeAsync()
    {
        await Influx.InitializeAsync();
        string url = Influx.Url.ToString().TrimEnd('/');
        string dir = Directory.CreateTempSubdirectory("alloclat-dash-").FullName;
        string[] influx = ["--influx-url", url, "--influx-db", Database];
        Run([.. influx, "-o", Path.Combine(dir, "default.lp"), "--", Repo.Path("build", "demo", "alloc_demo"), "6"]);
        Run([.. influx, "-o", Path.Combine(dir, "precise.lp"), "--precise",
            "--alert", "step: p999 > 15ms for 2 intervals resolve after 2 intervals allocator=slowalloc op=malloc", "--",
            "env", $"LD_PRELOAD={Repo.Path("build", "workloads", "libslowalloc.so")}", "SLOWALLOC_NS=25000000",
            "SLOWALLOC_AFTER_MS=2000", "SLOWALLOC_UNTIL_MS=6000", Repo.Path("build", "demo", "alloc_demo"), "9"]);
        Run([.. influx, "-o", Path.Combine(dir, "go.lp"), "--", Repo.Path("build", "workloads", "gogc"), "8"]);
        RunDotnet([.. influx, "-o", Path.Combine(dir, "dotnet.lp")], dir);
        // The writer flushes before the collector exits; wait until the last run's points are queryable.
        await Wait.UntilAsync(async () => (await Influx.QueryAsync(Database, "SELECT count(\"events\") FROM \"alloclat_stats\"")).Count > 0,
            TimeSpan.FromSeconds(30), "alloclat_stats points");
    }

    private void Run(string[] args)
    {
        var (exit, stderr) = Repo.RunCollector(["record", "-q", .. args], TimeSpan.FromMinutes(3));
        RunLogs.Add(stderr);
        if (exit != 0)
            throw new InvalidOperationException($"alloclat {string.Join(' ', args)} exited with {exit}:\n{stderr}");
    }

    /// <summary>
    /// The .NET workload waits on a FIFO until alloclat has its EventPipe session open, then allocates 1500 arrays
    /// of 1 MB (large object heap) that run its budget out.
    /// </summary>
    private void RunDotnet(string[] args, string dir)
    {
        string gate = Path.Combine(dir, "gate");
        Tracer.TestSupport.CapturedProcess.Start("mkfifo", [gate]).Wait(TimeSpan.FromSeconds(10));
        var p = Tracer.TestSupport.CapturedProcess.Start(Repo.Path("bin", "alloclat"),
            ["record", "-q", .. args, "--", "dotnet", Repo.Path("build", "workloads", "dotnet", "gcwork.dll"), "alloclarge", gate, "1500", "1000000"]);
        Wait.UntilAsync(() => p.StderrSoFar.Contains("GC events through EventPipe", StringComparison.Ordinal) || p.HasExited,
            TimeSpan.FromMinutes(1), "the .NET session").GetAwaiter().GetResult();
        if (!p.HasExited)
            using (new FileStream(gate, FileMode.Open, FileAccess.Write)) { }
        var (exit, _, stderr) = p.Wait(TimeSpan.FromMinutes(3));
        RunLogs.Add(stderr);
        if (exit != 0)
            throw new InvalidOperationException($"alloclat on the .NET workload exited with {exit}:\n{stderr}");
    }

    public Task DisposeAsync() => Influx.DisposeAsync();
}
