using System.Diagnostics;
using System.Globalization;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>
/// What the database can do to an exit, run as a user would against scripted servers on real loopback sockets
/// (bound to port 0): a database that accepts and never answers delays exit by at most --influx-flush-timeout;
/// every point it loses, whatever the status, is counted exactly and gives exit code 11; HTTPS with a private CA is
/// trusted with --influx-ca and reported once as a configuration error without it (exit code 9).
/// </summary>
public sealed class InfluxExitTests
{
    /// <summary>A process to trace with -p, so that the exit code is alloclat's own.</summary>
    private sealed class Target : IDisposable
    {
        private readonly CapturedProcess _sleep = CapturedProcess.Start("sleep", ["120"]);

        public string Pid => _sleep.Id.ToString(CultureInfo.InvariantCulture);

        public void Dispose() => _sleep.Dispose();
    }

    private static string Url(ScriptedHttpServer db) => db.Url.ToString().TrimEnd('/');

    [Fact]
    public async Task ADatabaseThatAcceptsAndNeverAnswersDelaysExitByAtMostTheFlushTimeout()
    {
        await using var healthy = new ScriptedHttpServer();
        await using var hung = new ScriptedHttpServer { DefaultResponse = new ScriptedResponse(204) { Delay = TimeSpan.FromHours(1) } };
        using var target = new Target();

        (CliResult Result, TimeSpan Took, string Output) Run(ScriptedHttpServer db)
        {
            string output = Cli.TempOutput();
            var clock = Stopwatch.StartNew();
            var r = Cli.Run(["record", "-q", "-o", output, "--interval", "250ms", "-d", "2s", "-p", target.Pid,
                "--influx-url", Url(db), "--influx-db", "alloclat", "--influx-flush-timeout", "2s"], timeout: TimeSpan.FromSeconds(90));
            return (r, clock.Elapsed, output);
        }

        var baseline = Run(healthy);
        Assert.True(baseline.Result.ExitCode == 0, baseline.Result.ToString());
        var run = Run(hung);

        // Neither the start-up check (which would wait 10 s for an answer) nor the request in flight at exit holds the
        // run up beyond the flush timeout: against the same run with a healthy database, at most 2 s more, plus a stated
        // margin of 3 s for a busy machine. Waiting for the check alone would add 10 s.
        var added = run.Took - baseline.Took;
        Assert.True(added < TimeSpan.FromSeconds(2 + 3), $"{run.Took.TotalSeconds:0.00} s against {baseline.Took.TotalSeconds:0.00} s with a healthy database\n{run.Result}");
        Assert.Contains(hung.Requests, q => q.Path == "/ping");
        Assert.Contains(hung.Requests, q => q.Path == "/write");
        Assert.True(run.Result.ExitCode == 11, run.Result.ToString());
        int points = LineProtocolFile.Read(run.Output).Count;
        Assert.True(run.Result.Stderr.Contains($"[ERROR] {points} of {points} points were lost to InfluxDB at {hung.Url} db=alloclat: 0 rejected by the server, "
            + $"{points} not sent within the flush timeout (2 s)", StringComparison.Ordinal), run.Result.ToString());
    }

    [Theory]
    [InlineData("400")]
    [InlineData("429")]
    [InlineData("503")]
    [InlineData("reset")]
    public async Task EveryPointLostToTheDatabaseIsCountedAndGivesExitCode11(string failure)
    {
        var write = failure switch
        {
            "400" => ScriptedResponse.InfluxError(400, "unable to parse points"),
            "429" => ScriptedResponse.InfluxError(429, "too many requests", new Dictionary<string, string> { ["Retry-After"] = "1" }),
            "503" => ScriptedResponse.InfluxError(503, "service unavailable"),
            _ => ScriptedResponse.Drop,
        };
        await using var db = new ScriptedHttpServer(r => r.Path == "/write" ? write : new ScriptedResponse(204));
        using var target = new Target();
        string output = Cli.TempOutput();
        var r = Cli.Run(["record", "-q", "-o", output, "--interval", "250ms", "-d", "2s", "-p", target.Pid,
            "--influx-url", Url(db), "--influx-db", "alloclat", "--influx-flush-timeout", "1s"]);

        Assert.True(r.ExitCode == 11, r.ToString());
        int points = LineProtocolFile.Read(output).Count;
        Assert.True(points >= 5, r.ToString());
        Assert.Contains(db.Requests, q => q.Path == "/write");
        string counts = failure == "400" ? $"{points} rejected by the server, 0 not sent" : $"0 rejected by the server, {points} not sent";
        var line = Assert.Single(r.Stderr.Split('\n'), l => l.StartsWith("[ERROR] ", StringComparison.Ordinal));
        Assert.StartsWith($"[ERROR] {points} of {points} points were lost to InfluxDB at {db.Url} db=alloclat: {counts} within the flush timeout (1 s)", line);
    }

    [Fact]
    public async Task HttpsWithAPrivateCaIsTrustedWithInfluxCaAndACertificateFailureIsOneConfigurationError()
    {
        using var certificates = new TestCertificates();
        await using var db = new ScriptedHttpServer(certificate: certificates.Server);
        using var target = new Target();

        string output = Cli.TempOutput();
        var trusted = Cli.Run(["record", "-q", "-o", output, "--interval", "250ms", "-d", "2s", "-p", target.Pid,
            "--influx-url", Url(db), "--influx-db", "alloclat", "--influx-ca", certificates.CaFile]);
        Assert.True(trusted.ExitCode == 0, trusted.ToString());
        Assert.Equal(LineProtocolFile.Read(output).Count, db.Requests.Where(q => q.Path == "/write").Sum(q => q.Lines.Count));
        Assert.DoesNotContain("[ERROR]", trusted.Stderr);
        Assert.DoesNotContain("certificate", trusted.Stderr);

        int before = db.Requests.Count;
        var refused = Cli.Run(["record", "-q", "-o", Cli.TempOutput(), "--interval", "250ms", "-d", "2s", "-p", target.Pid,
            "--influx-url", Url(db), "--influx-db", "alloclat"]);
        Assert.True(refused.ExitCode == 9, refused.ToString());
        var lines = refused.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines, l => l.Contains("TLS certificate \"", StringComparison.Ordinal));
        Assert.StartsWith($"[ERROR] InfluxDB at {db.Url}: the TLS certificate \"{certificates.ServerSubject}\" (issued by \"CN=alloclat test CA\") is not trusted: ", line);
        Assert.EndsWith("; give the CA that signed it with --influx-ca FILE", line);
        Assert.DoesNotContain(lines, l => l.Contains("unreachable", StringComparison.Ordinal) || l.Contains("retrying", StringComparison.Ordinal));
        Assert.Equal(before, db.Requests.Count);
    }
}
