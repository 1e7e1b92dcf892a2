using Tracer.TestSupport;

namespace Tracer.Sinks.Tests;

/// <summary>
/// HTTPS with a private CA, on both transports: a real TLS server on 127.0.0.1 (port 0) whose certificate was
/// signed by a CA made in the test. Trusted with <see cref="InfluxWriterOptions.CaFile"/>; refused without it, and
/// then reported once as a configuration error naming the certificate and the reason, never retried as an
/// unreachable server.
/// </summary>
public sealed class InfluxCertificateTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly TestCertificates _certificates = new();

    public void Dispose() => _certificates.Dispose();

    private static InfluxWriterOptions Options(string api, Uri url) => (api == "v1"
        ? InfluxWriterOptions.ForV1(url, "alloclat")
        : InfluxWriterOptions.ForV2(url, "acme", "metrics", "tok-1")) with
    {
        InitialRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromMilliseconds(200),
        FatalRetryDelay = TimeSpan.FromSeconds(60),
        FlushTimeout = TimeSpan.Zero,
    };

    private static string Lines(int count) => string.Concat(Enumerable.Range(0, count).Select(i => $"m,pid={i} count={i}i {1_000_000 + i}\n"));

    public static TheoryData<string> Apis => ["v1", "v2"];

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task WithTheCa_TheServerIsTrusted_AndPointsAreDelivered(string api)
    {
        await using var server = new ScriptedHttpServer(certificate: _certificates.Server);
        Assert.Equal("https", server.Url.Scheme);
        await using var writer = new InfluxWriter(Options(api, server.Url) with { CaFile = _certificates.CaFile }, new CapturingWriter());
        var ping = await writer.PingAsync();
        Assert.True(ping.Ok, ping.Message);
        Assert.Null(ping.Fatal);

        writer.Write(Lines(3));
        Assert.True(await writer.FlushAsync(Patience));
        Assert.Equal(Lines(3).Split('\n', StringSplitOptions.RemoveEmptyEntries), server.Requests.Where(r => r.Method == "POST").SelectMany(r => r.Lines));
        Assert.Equal(3, writer.SentLines);
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task WithoutTheCa_TheCertificateIsAConfigurationError_ReportedOnce_NeverRetriedAsUnreachable(string api)
    {
        await using var server = new ScriptedHttpServer(certificate: _certificates.Server);
        var clock = new FakeClock();
        var log = new CapturingWriter();
        var writer = new InfluxWriter(Options(api, server.Url), log, clock);
        var ping = await writer.PingAsync();

        Assert.False(ping.Ok);
        var fatal = Assert.IsType<InfluxFatalError>(ping.Fatal);
        Assert.Equal(InfluxFatalKind.Certificate, fatal.Kind);
        Assert.Equal(ping.Message, fatal.Message);
        Assert.StartsWith($"InfluxDB at {server.Url}: the TLS certificate \"{_certificates.ServerSubject}\" (issued by \"CN=alloclat test CA\") is not trusted: ", fatal.Message);
        Assert.EndsWith("; give the CA that signed it with --influx-ca FILE", fatal.Message);
        Assert.DoesNotContain('\n', fatal.Message);
        Assert.Same(fatal, writer.FatalError);

        writer.Write(Lines(3));
        // The write is refused for the same reason and waits the slow fatal delay, not a backoff for an outage.
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(60));
        clock.Advance(TimeSpan.FromSeconds(60));
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(60), count: 2);
        Assert.Equal(InfluxFatalKind.Certificate, writer.FatalError!.Kind);
        Assert.Empty(server.Requests);
        Assert.Equal(3, writer.QueuedLines);
        // The caller printed the start-up check's line; the writer adds nothing, least of all "retrying".
        Assert.Empty(log.Lines);

        await writer.DisposeAsync();
        Assert.Equal(3, writer.UnsentAtShutdown);
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task ACertificateRefusedAtTheFirstWrite_IsOneLine(string api)
    {
        await using var server = new ScriptedHttpServer(certificate: _certificates.Server);
        var clock = new FakeClock();
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(Options(api, server.Url), log, clock);
        writer.Write(Lines(2));
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(60));
        clock.Advance(TimeSpan.FromSeconds(60));
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(60), count: 2);

        var line = Assert.Single(log.Lines);
        Assert.StartsWith($"influx: InfluxDB at {server.Url}: the TLS certificate \"{_certificates.ServerSubject}\"", line);
        Assert.Equal(InfluxFatalKind.Certificate, writer.FatalError!.Kind);
    }

    [Fact]
    public async Task AnotherCa_DoesNotMakeTheCertificateTrusted()
    {
        using var other = new TestCertificates("another CA", "another server");
        await using var server = new ScriptedHttpServer(certificate: _certificates.Server);
        await using var writer = new InfluxWriter(Options("v1", server.Url) with { CaFile = other.CaFile }, new CapturingWriter(), new FakeClock());
        var ping = await writer.PingAsync();
        Assert.Equal(InfluxFatalKind.Certificate, ping.Fatal?.Kind);
        Assert.EndsWith($"(neither by the system nor by the CA in {other.CaFile})", ping.Message);
    }

    [Fact]
    public void ACaFileWithoutACertificate_IsRefusedAtStart()
    {
        var path = Path.Combine(_certificates.Directory, "not-a-ca.pem");
        File.WriteAllText(path, "hello\n");
        var e = Assert.Throws<ArgumentException>(() => new InfluxWriter(Options("v1", new Uri("https://127.0.0.1:1/")) with { CaFile = path }, TextWriter.Null));
        Assert.Equal($"the InfluxDB CA file {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)", e.Message);
        var missing = Path.Combine(_certificates.Directory, "missing.pem");
        e = Assert.Throws<ArgumentException>(() => new InfluxWriter(Options("v1", new Uri("https://127.0.0.1:1/")) with { CaFile = missing }, TextWriter.Null));
        Assert.StartsWith($"cannot read the InfluxDB CA file {missing}: ", e.Message);
    }
}
