using System.Globalization;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>
/// Pre-forking servers from Debian, whose workers are forked without exec: in precise mode each worker has the
/// malloc family probed from its first instruction.
/// </summary>
public class PreforkServerTests
{
    private const string OneMiB = "1048576";

    [Fact]
    public async Task APostgresBackendsSortIsCountedAsAnLdPreloadCounterCountsIt()
    {
        // The reference: a counter in front of glibc (LD_PRELOAD in the postmaster's environment, inherited by every
        // backend), which writes each process's count of calls of 1 MiB or more when it exits.
        using var pg = new PostgresServer($"LD_PRELOAD={Cli.Workload("libcountalloc.so")}", "COUNTALLOC_DIR={dir}", $"COUNTALLOC_MIN={OneMiB}");
        await pg.StartAsync();
        string output = Cli.TempOutput();
        var alloclat = Cli.Start(["record", "-q", "-v", "-o", output, "--precise", "--min-size", "1M", "--binary", PostgresServer.Binary]);
        Cli.WaitUntilTracing(alloclat, TimeSpan.FromMinutes(2));

        // A new session forks a backend; its sort stays in memory: tuples in growing blocks (malloc), the tuple
        // array doubled (realloc).
        using var psql = pg.OpenSession();
        psql.WriteLine("select pg_backend_pid();");
        psql.WriteLine("set work_mem = '256MB';");
        psql.WriteLine("select count(*) from (select g from generate_series(1, 500000) g order by random()) s;");
        psql.CloseInput();
        int backend = int.Parse(psql.StdoutLine(0, TimeSpan.FromMinutes(2)), CultureInfo.InvariantCulture);
        Assert.Equal("500000", psql.StdoutLine(1, TimeSpan.FromMinutes(2)));
        Assert.True(psql.TryWait(TimeSpan.FromSeconds(60)));
        string counted = Path.Combine(pg.Directory, backend.ToString(CultureInfo.InvariantCulture));
        await Wait.UntilAsync(() => File.Exists(counted) && !Directory.Exists($"/proc/{backend}"), TimeSpan.FromSeconds(30), $"backend {backend} to exit");
        alloclat.Signal(2);
        var result = Cli.Wait(alloclat, TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.ToString());

        var reference = File.ReadAllText(counted).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Chunk(2)
            .ToDictionary(kv => kv[0], kv => long.Parse(kv[1], CultureInfo.InvariantCulture));
        var counts = LineProtocolFile.Counts(LineProtocolFile.Read(output), "countalloc", backend);
        long Counted(string op) => counts.Where(c => c.Key.Op == op).Sum(c => c.Value);
        string why = $"counter: {File.ReadAllText(counted).Trim()}; alloclat: {string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}"))}";
        Assert.True(reference["malloc"] > 0 && reference["realloc"] > 0, why);
        Assert.True(reference["malloc"] == Counted("malloc") && reference["realloc"] == Counted("realloc") && reference["calloc"] == Counted("calloc"), why);
        Assert.Matches($@"\[INFO\] process {backend} forked by {pg.PostmasterPid}: \d+ functions probed before its first instruction", result.Stderr);
    }

    [Fact]
    public async Task NginxWorkersForkedAtReloadAreCounted()
    {
        const int Requests = 40;
        using var nginx = new NginxServer();
        await nginx.StartAsync();
        int master = nginx.MasterPid;
        await Wait.UntilAsync(() => nginx.Workers().Count == 2, TimeSpan.FromSeconds(30), "two nginx workers");
        var before = nginx.Workers();
        string output = Cli.TempOutput();
        // Every request gets a pool of its own (request_pool_size, 4 KiB, from posix_memalign).
        var alloclat = Cli.Start(["record", "-q", "-v", "-o", output, "--precise", "--min-size", "4K", "-p", master.ToString(CultureInfo.InvariantCulture)]);
        Cli.WaitUntilTracing(alloclat, TimeSpan.FromMinutes(2));

        Cli.Sh($"{NginxServer.Binary} -p {nginx.Directory} -c {nginx.ConfigPath} -s reload");
        IReadOnlySet<int> after = new HashSet<int>();
        await Wait.UntilAsync(() => (after = nginx.Workers()).Count == 2 && !after.Overlaps(before), TimeSpan.FromSeconds(60), "the workers forked at reload");
        using (var http = new HttpClient())
        {
            for (int i = 0; i < Requests; i++)
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{nginx.Port}/");
                Assert.True(response.IsSuccessStatusCode, $"request {i}: {(int)response.StatusCode}");
            }
        }
        alloclat.Signal(2);
        var result = Cli.Wait(alloclat, TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.ToString());

        var points = LineProtocolFile.Read(output);
        long served = after.Sum(pid => LineProtocolFile.Counts(points, "glibc", pid).Where(c => c.Key.Op == "posix_memalign").Sum(c => c.Value));
        Assert.True(served >= Requests, $"the new workers {string.Join(", ", after)} made {served} posix_memalign calls of 4 KiB or more for {Requests} requests\n{result}");
        foreach (int worker in after)
            Assert.Matches($@"\[INFO\] process {worker} forked by {master}: \d+ functions probed before its first instruction", result.Stderr);
    }
}
