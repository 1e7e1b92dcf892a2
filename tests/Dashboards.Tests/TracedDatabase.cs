using Tracer.TestSupport;

namespace Dashboards.Tests;

/// <summary>
/// A real InfluxDB 1.6 filled by real traced runs of bin/alloclat into database <see cref="Database"/>: the demo in
/// default mode, the demo in precise mode under libslowalloc with a latency step and an alert rule (allocator,
/// op and alert variety), the Go GC workload (gc_pause) and a .NET program whose large allocations cost collections
/// (gc_pause by reason and generation, dotnet_alloc_sample). Meanwhile, for the Grafana alert rules, one more
/// precise run of two paced workloads (one 1 MiB allocation every 200 ms) under libslowalloc:
/// <see cref="SpikeComm"/>'s malloc is slow (25 ms) for half a second once, <see cref="StepComm"/>'s from 10 s on for
/// <see cref="StepSeconds"/> s, long enough for three one-minute windows at every phase of the evaluation grid.
/// </summary>
public sealed class TracedDatabase : IAsyncLifetime
{
    public const string Database = "alloclat";

    public InfluxDb1Fixture Influx { get; } = new();

    public const string SpikeComm = "spike_once";
    public const string StepComm = "step_long";
    public const int StepStartSeconds = 10;
    public const int StepSeconds = 250;

    public List<string> RunLogs { get; } = [];

    /// <summary>Wall-clock bounds of the alert-rule run (the collector's start and exit).</summary>
    public (DateTimeOffset Start, DateTimeOffset End) RuleRun { get; private set; }

    public async Task InitializeAsync()
    {
        await Influx.InitializeAsync();
        string url = Influx.Url.ToString().TrimEnd('/');
        string dir = Directory.CreateTempSubdirectory("alloclat-dash-").FullName;
        string[] influx = ["--influx-url", url, "--influx-db", Database];
        var ruleRun = Task.Run(() => RunRuleWorkloads(influx, dir));
        Run([.. influx, "-o", Path.Combine(dir, "default.lp"), "--", Repo.Path("build", "demo", "alloc_demo"), "6"]);
        Run([.. influx, "-o", Path.Combine(dir, "precise.lp"), "--precise",
            "--alert", "step: p999 > 15ms for 2 intervals resolve after 2 intervals allocator=slowalloc op=malloc", "--",
            "env", $"LD_PRELOAD={Repo.Path("build", "workloads", "libslowalloc.so")}", "SLOWALLOC_NS=25000000",
            "SLOWALLOC_AFTER_MS=2000", "SLOWALLOC_UNTIL_MS=6000", Repo.Path("build", "demo", "alloc_demo"), "9"]);
        Run([.. influx, "-o", Path.Combine(dir, "go.lp"), "--", Repo.Path("build", "workloads", "gogc"), "8"]);
        RunDotnet([.. influx, "-o", Path.Combine(dir, "dotnet.lp")], dir);
        await ruleRun;
        // The writer flushes before the collector exits; wait until the last run's points are queryable.
        await Wait.UntilAsync(async () => (await Influx.QueryAsync(Database, "SELECT count(\"events\") FROM \"alloclat_stats\"")).Count > 0,
            TimeSpan.FromSeconds(30), "alloclat_stats points");
    }

    private void RunRuleWorkloads(string[] influx, string dir)
    {
        // Copies of the workload under their own names, so each process is its own comm (and alert instance).
        string workload = Repo.Path("build", "workloads", "alloc_workload");
        foreach (var name in (string[])[SpikeComm, StepComm])
            File.Copy(workload, Path.Combine(dir, name), overwrite: true);
        string slow = $"LD_PRELOAD={Repo.Path("build", "workloads", "libslowalloc.so")} SLOWALLOC_SLEEP=1 SLOWALLOC_NS=25000000 ALLOC_WORKLOAD_PAUSE_US=200000";
        // 1 MiB mallocs only (LARGE count, no heap or small ones; the malloc ones come first and both processes are
        // stopped while still in them), five a second: few calls per 10-second bucket, so that a loaded machine's
        // scheduling delays seldom make a whole bucket slow. The spike process lives 130 s, long enough for three
        // evaluations with its data. Its slow half-second comes 25 s in, so every window that holds it also holds
        // fast 10-second buckets, as a long-running process's would, whatever the phase of the evaluation grid.
        string script = $"cd {dir} && env {slow} SLOWALLOC_AFTER_MS=25000 SLOWALLOC_UNTIL_MS=25500 timeout -s INT 130 ./{SpikeComm} 100000 0 0 & "
            + $"cd {dir} && env {slow} SLOWALLOC_AFTER_MS={StepStartSeconds * 1000} timeout -s INT {StepStartSeconds + StepSeconds} ./{StepComm} 100000 0 0; "
            + "wait; exit 0";
        var start = DateTimeOffset.UtcNow;
        Run([.. influx, "-o", Path.Combine(dir, "rules.lp"), "--precise", "--", "sh", "-c", script], TimeSpan.FromMinutes(8));
        RuleRun = (start, DateTimeOffset.UtcNow);
    }

    private void Run(string[] args) => Run(args, TimeSpan.FromMinutes(3));

    private void Run(string[] args, TimeSpan timeout)
    {
        var (exit, stderr) = Repo.RunCollector(["record", "-q", .. args], timeout);
        lock (RunLogs)
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
        lock (RunLogs)
            RunLogs.Add(stderr);
        if (exit != 0)
            throw new InvalidOperationException($"alloclat on the .NET workload exited with {exit}:\n{stderr}");
    }

    public Task DisposeAsync() => Influx.DisposeAsync();
}
