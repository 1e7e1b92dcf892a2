using System.Diagnostics;
using System.Text;
using Tracer.TestSupport;

namespace Tracer.Sinks.Tests;

/// <summary>
/// The v1 writer (<c>/write</c>, its own HTTP code): the shared behaviour of <see cref="InfluxWriterBehaviour"/>, and
/// what only this path does (basic auth, the body as sent, InfluxDB 1.x errors, the ping that creates the database).
/// </summary>
public class InfluxWriterHttpTests : InfluxWriterBehaviour
{
    protected override InfluxWriterOptions Api(Uri url) => InfluxWriterOptions.ForV1(url, "alloclat");

    protected override ScriptedResponse Error(int status, string message, IReadOnlyDictionary<string, string>? headers = null) =>
        ScriptedResponse.InfluxError(status, message, headers);

    private InfluxWriterOptions V1(Uri url, string database = "alloclat") => Fast(url) with { Database = database };

    private static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    [Fact]
    public async Task V1_PostsGzippedLines_ToWrite_WithBasicAuthHeader()
    {
        await using var server = new ScriptedHttpServer();
        var options = V1(server.Url, "my db") with { Username = "u", Password = "p:w", RetentionPolicy = "rp 1" };
        var writer = new InfluxWriter(options, new CapturingWriter());
        writer.Write(Lines(0, 3));
        Assert.True(await writer.FlushAsync(Patience));
        await writer.DisposeAsync();

        var r = Assert.Single(server.Requests);
        Assert.Equal("POST", r.Method);
        Assert.Equal("/write", r.Path);
        Assert.Equal("my db", r.Query["db"]);
        Assert.Equal("rp 1", r.Query["rp"]);
        Assert.Equal("ns", r.Query["precision"]);
        Assert.False(r.Query.ContainsKey("u") || r.Query.ContainsKey("p"), "credentials must not travel in the query string");
        Assert.Equal(Basic("u", "p:w"), r.Header("Authorization"));
        Assert.Equal("gzip", r.Header("Content-Encoding"));
        Assert.Equal([0x1f, 0x8b], r.RawBody[..2]);
        Assert.Equal(Lines(0, 3), r.BodyText);
        Assert.Equal(3, writer.SentLines);
        Assert.Equal(0, writer.DroppedLines);
        Assert.Equal(0, writer.UnsentAtShutdown);
    }

    [Fact]
    public async Task V2_PostsToApiV2Write_WithTokenHeader_UnderTheUrlPathPrefix()
    {
        await using var server = new ScriptedHttpServer();
        var url = new Uri(server.Url, "proxy/influx");
        await using var writer = new InfluxWriter(InfluxWriterOptions.ForV2(url, "my org", "b&b", "s3cr3t=="), new CapturingWriter());
        writer.Write(Lines(0, 2));
        Assert.True(await writer.FlushAsync(Patience));

        var r = Assert.Single(server.Requests);
        Assert.Equal("/proxy/influx/api/v2/write", r.Path);
        Assert.Equal("my org", r.Query["org"]);
        Assert.Equal("b&b", r.Query["bucket"]);
        Assert.Equal("ns", r.Query["precision"]);
        Assert.Equal("Token s3cr3t==", r.Header("Authorization"));
        // The v2 path goes through InfluxDB.Client, which joins the lines without a final newline.
        Assert.Equal(Lines(0, 2).Split('\n', StringSplitOptions.RemoveEmptyEntries), r.Lines);
    }

    [Fact]
    public async Task Batches_CarryTheLinesVerbatim()
    {
        await using var server = new ScriptedHttpServer();
        var options = V1(server.Url);
        Assert.Equal(5000, options.BatchSize);
        await using var writer = new InfluxWriter(options, new CapturingWriter());
        var all = Lines(0, 12001);
        writer.Write(all);
        Assert.True(await writer.FlushAsync(Patience));

        var requests = server.Requests;
        Assert.Equal([5000, 5000, 2001], requests.Select(r => r.Lines.Count));
        Assert.Equal(all, string.Concat(requests.Select(r => r.BodyText)));
        Assert.Equal(12001, writer.SentLines);
    }

    [Fact]
    public async Task Status403_WithUserName_PointsAtTheUserAndPassword()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = ScriptedResponse.InfluxError(403, "user \"bob\" not authorized to write") };
        await using var writer = new InfluxWriter(V1(server.Url) with { Username = "bob", Password = "x", FlushTimeout = TimeSpan.Zero }, new CapturingWriter());
        writer.Write(Lines(0, 1));
        await Wait.UntilAsync(() => writer.FatalError is not null, Patience, "the fatal state");
        Assert.Equal("InfluxDB rejected the credentials (403): user \"bob\" not authorized to write; check the InfluxDB user name and password",
            writer.FatalError!.Message);
    }

    [Fact]
    public async Task Status404_DatabaseNotFound_NamesTheDatabase()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = ScriptedResponse.InfluxError(404, "database not found: \"metrics\"") };
        await using var writer = new InfluxWriter(V1(server.Url, "metrics") with { FlushTimeout = TimeSpan.Zero }, new CapturingWriter());
        writer.Write(Lines(0, 2));
        await Wait.UntilAsync(() => writer.FatalError is not null, Patience, "the fatal state");

        Assert.Equal(InfluxFatalKind.NotFound, writer.FatalError!.Kind);
        Assert.Equal("InfluxDB database \"metrics\" not found (404): database not found: \"metrics\"; create it (CREATE DATABASE \"metrics\") or fix the database name",
            writer.FatalError.Message);
        Assert.Equal(2, writer.QueuedLines);
    }

    [Fact]
    public async Task MissingRetentionPolicy_Reported500ByInfluxDb1_IsFatalNotRetried()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = ScriptedResponse.InfluxError(500, "retention policy not found: weekly") };
        var clock = new FakeClock();
        await using var writer = new InfluxWriter(V1(server.Url) with { RetentionPolicy = "weekly", FlushTimeout = TimeSpan.Zero }, new CapturingWriter(), clock);
        writer.Write(Lines(0, 2));
        await Wait.UntilAsync(() => writer.FatalError is not null, Patience, "the fatal state");
        // Not retried as a 500 would be: the next attempt waits the fatal retry delay.
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(60));
        clock.Advance(TimeSpan.FromSeconds(60) - TimeSpan.FromTicks(1));

        Assert.Single(server.Requests);
        Assert.Contains("retention policy \"weekly\"", writer.FatalError!.Message);
    }

    [Fact]
    public async Task WriteAsync_NeverWaitsForASlowServer()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = new ScriptedResponse(204) { Delay = TimeSpan.FromSeconds(5) } };
        var sink = new InfluxSink(V1(server.Url) with { FlushTimeout = TimeSpan.FromMilliseconds(300) }, new CapturingWriter());
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 200; i++)
            await sink.WriteAsync(TestData.Snapshot(TestData.GoldenTimestamp + i, "h", 20, i), CancellationToken.None);
        var elapsed = clock.Elapsed;

        // The server takes 5 s per answer; a writer that waited for it could not get near this bound.
        Assert.True(elapsed < TimeSpan.FromSeconds(2.5), $"200 writes took {elapsed.TotalMilliseconds:0} ms");
        await server.WaitForRequestsAsync(1, Patience);
        clock.Restart();
        await sink.DisposeAsync();
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.2, 4);
        Assert.Equal(200 * 21, sink.Writer.UnsentAtShutdown);
    }

    [Fact]
    public async Task Dispose_SendsEverythingStillQueued()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = new ScriptedResponse(204) { Delay = TimeSpan.FromMilliseconds(100) } };
        var sink = new InfluxSink(V1(server.Url) with { BatchSize = 10 }, new CapturingWriter());
        var expected = new StringBuilder();
        for (int i = 0; i < 5; i++)
        {
            var snapshot = TestData.Snapshot(TestData.GoldenTimestamp + i, "h", 9, i);
            expected.Append(LineProtocol.Format(snapshot));
            await sink.WriteAsync(snapshot, CancellationToken.None);
        }
        await sink.DisposeAsync();

        Assert.Equal(expected.ToString(), string.Concat(server.Requests.Select(r => r.BodyText)));
        Assert.Equal(0, sink.Writer.UnsentAtShutdown);
        Assert.Throws<ObjectDisposedException>(() => sink.Writer.Write(Lines(0, 1)));
    }

    [Fact]
    public async Task RepeatedFailures_AreLoggedOncePerInterval()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = ScriptedResponse.InfluxError(503, "overloaded") };
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(V1(server.Url) with
        {
            InitialRetryDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryDelay = TimeSpan.FromMilliseconds(20),
            FlushTimeout = TimeSpan.Zero,
        }, log);
        writer.Write(Lines(0, 1));
        await server.WaitForRequestsAsync(15, Patience);

        Assert.Single(log.Lines, l => l.Contains("503"));
    }

    [Fact]
    public async Task Ping_OnInfluxDb1_CreatesTheDatabase_WithItsNameQuoted()
    {
        await using var server = new ScriptedHttpServer(r => r.Path switch
        {
            "/ping" => new ScriptedResponse(204, null, new Dictionary<string, string> { ["X-Influxdb-Version"] = "1.6.7~rc0" }),
            "/query" => new ScriptedResponse(200, "{\"results\":[{\"statement_id\":0}]}"),
            _ => null,
        });
        await using var writer = new InfluxWriter(V1(server.Url, "my \"db\"") with { Username = "admin", Password = "pw" }, new CapturingWriter());
        var result = await writer.PingAsync();

        Assert.True(result.Reachable);
        Assert.True(result.Ok, result.Message);
        Assert.True(result.DatabaseEnsured);
        Assert.Equal("1.6.7~rc0", result.ServerVersion);
        Assert.Equal(204, result.StatusCode);
        var query = Assert.Single(server.Requests, r => r.Path == "/query");
        Assert.Equal("POST", query.Method);
        Assert.Equal("q=" + Uri.EscapeDataString("CREATE DATABASE \"my \\\"db\\\"\"").Replace("%20", "+"), query.BodyText);
        Assert.Equal(Basic("admin", "pw"), query.Header("Authorization"));
        Assert.Equal("GET", Assert.Single(server.Requests, r => r.Path == "/ping").Method);
    }

    [Fact]
    public async Task Ping_ReportsAFailedCreateDatabase_AsAWarning()
    {
        await using var server = new ScriptedHttpServer(r => r.Path switch
        {
            "/ping" => new ScriptedResponse(204, null, new Dictionary<string, string> { ["X-Influxdb-Version"] = "1.8.10" }),
            "/query" => ScriptedResponse.InfluxError(403, "requires admin privilege"),
            _ => null,
        });
        await using var writer = new InfluxWriter(V1(server.Url, "db1"), new CapturingWriter());
        var result = await writer.PingAsync();

        Assert.True(result.Reachable);
        Assert.False(result.Ok);
        Assert.False(result.DatabaseEnsured);
        Assert.Contains("creating database \"db1\" failed (403): requires admin privilege", result.Message);
    }

    [Theory]
    [InlineData(204, null, true)]
    [InlineData(404, null, true)]
    [InlineData(204, "2.7.1", true)]
    [InlineData(503, null, false)]
    public async Task Ping_WithoutInfluxDb1_NeverCreatesADatabase(int status, string? version, bool ok)
    {
        var headers = version is null ? null : new Dictionary<string, string> { ["X-Influxdb-Version"] = version };
        await using var server = new ScriptedHttpServer { DefaultResponse = new ScriptedResponse(status, null, headers) };
        await using var writer = new InfluxWriter(V1(server.Url), new CapturingWriter());
        var result = await writer.PingAsync();

        Assert.True(result.Reachable);
        Assert.Equal(ok, result.Ok);
        Assert.Equal(status, result.StatusCode);
        Assert.Equal("/ping", Assert.Single(server.Requests).Path);
    }

    [Fact]
    public async Task Ping_UnreachableServer_IsAWarning_NotAnException()
    {
        using var reserved = new ReservedPort();
        int port = reserved.Number;
        await using var writer = new InfluxWriter(V1(reserved.Url), new CapturingWriter());
        var result = await writer.PingAsync();

        Assert.False(result.Reachable);
        Assert.False(result.Ok);
        Assert.Null(result.StatusCode);
        Assert.StartsWith($"cannot reach InfluxDB at http://127.0.0.1:{port}/: Connection refused", result.Message);
        Assert.Contains("tracing continues", result.Message);
    }

    [Fact]
    public void Options_AreValidated_AndNeverPrintSecrets()
    {
        var url = new Uri("http://127.0.0.1:8086");
        Assert.Throws<ArgumentException>(() => new InfluxWriter(InfluxWriterOptions.ForV1(url, ""), TextWriter.Null));
        Assert.Throws<ArgumentException>(() => new InfluxWriter(InfluxWriterOptions.ForV2(url, "o", "", "t"), TextWriter.Null));
        Assert.Throws<ArgumentException>(() => new InfluxWriter(InfluxWriterOptions.ForV2(url, "", "b", "t"), TextWriter.Null));
        Assert.Throws<ArgumentException>(() => new InfluxWriter(InfluxWriterOptions.ForV1(new Uri("ftp://x/"), "db"), TextWriter.Null));
        Assert.Throws<ArgumentException>(() => new InfluxWriter(InfluxWriterOptions.ForV1(new Uri("http://u:p@x/"), "db"), TextWriter.Null));
        Assert.Throws<ArgumentException>(() => new InfluxWriter(InfluxWriterOptions.ForV1(url, "db") with { BatchSize = 0 }, TextWriter.Null));

        var text = (InfluxWriterOptions.ForV2(url, "o", "b", "tok-123") with { Password = "pw-456" }).ToString();
        Assert.DoesNotContain("tok-123", text);
        Assert.DoesNotContain("pw-456", text);
        Assert.Contains("token set", text);
    }
}
