using System.Diagnostics;
using System.Text;
using Tracer.TestSupport;

namespace Tracer.Sinks.Tests;

/// <summary>The writer's HTTP behaviour against a scripted server on a real 127.0.0.1 socket.</summary>
public class InfluxWriterHttpTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static InfluxWriterOptions V1(Uri url, string database = "alloclat") => Fast(InfluxWriterOptions.ForV1(url, database));

    private static InfluxWriterOptions Fast(InfluxWriterOptions options) => options with
    {
        InitialRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromMilliseconds(200),
        FatalRetryDelay = TimeSpan.FromSeconds(60),
        RequestTimeout = TimeSpan.FromSeconds(5),
        FlushTimeout = TimeSpan.FromSeconds(5),
    };

    private static string Lines(int from, int count)
        => string.Concat(Enumerable.Range(from, count).Select(i => $"m,pid={i} count={i}i {1_000_000 + i}\n"));

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
        await using var writer = new InfluxWriter(Fast(InfluxWriterOptions.ForV2(url, "my org", "b&b", "s3cr3t==")), new CapturingWriter());
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
    public async Task Batches_HoldAtMost5000Lines_InOrder()
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
    public async Task Status429_WaitsAsLongAsRetryAfterSays_ThenDelivers()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(ScriptedResponse.InfluxError(429, "too many requests", new Dictionary<string, string> { ["Retry-After"] = "1" }));
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(V1(server.Url), log);
        writer.Write(Lines(0, 4));
        Assert.True(await writer.FlushAsync(Patience));

        var requests = server.Requests;
        Assert.Equal(2, requests.Count);
        // Backoff alone would retry after 25-50 ms; the server asked for a second.
        Assert.InRange(requests[1].Since(requests[0]).TotalSeconds, 0.95, 5);
        Assert.Equal(requests[0].BodyText, requests[1].BodyText);
        Assert.Equal(4, writer.SentLines);
        Assert.Equal(0, writer.TakeDropped());
        Assert.Contains(log.Lines, l => l.Contains("429") && l.Contains("too many requests"));
    }

    [Fact]
    public async Task Status500_IsRetried_AndDeliveredOnce()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(ScriptedResponse.InfluxError(500, "timeout"), ScriptedResponse.InfluxError(503, "engine busy"));
        await using var writer = new InfluxWriter(V1(server.Url), new CapturingWriter());
        writer.Write(Lines(0, 7));
        Assert.True(await writer.FlushAsync(Patience));

        var requests = server.Requests;
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal(Lines(0, 7), r.BodyText));
        Assert.Equal(7, writer.SentLines);
        Assert.Equal(0, writer.DroppedLines);
    }

    [Fact]
    public async Task DroppedConnection_IsRetried()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(ScriptedResponse.Drop, ScriptedResponse.Drop);
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(V1(server.Url), log);
        writer.Write(Lines(0, 3));
        Assert.True(await writer.FlushAsync(Patience));

        Assert.True(server.Requests.Count >= 3, $"expected the dropped requests to be retried, got {server.Requests.Count} requests");
        Assert.Equal(Lines(0, 3), server.Requests[^1].BodyText);
        Assert.Equal(3, writer.SentLines);
        Assert.Contains(log.Lines, l => l.Contains("failed") && l.Contains("retrying"));
    }

    [Fact]
    public async Task Status413_SplitsTheBatchInHalves_AndLaterBatchesStaySmaller()
    {
        await using var server = new ScriptedHttpServer(r => r.Lines.Count > 4 ? ScriptedResponse.InfluxError(413, "request entity too large") : null);
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(V1(server.Url), log);
        writer.Write(Lines(0, 8));
        Assert.True(await writer.FlushAsync(Patience));

        Assert.Equal([8, 4, 4], server.Requests.Select(r => r.Lines.Count));
        Assert.Equal(Lines(0, 8), server.Requests[1].BodyText + server.Requests[2].BodyText);

        writer.Write(Lines(8, 8));
        Assert.True(await writer.FlushAsync(Patience));
        Assert.Equal([8, 4, 4, 4, 4], server.Requests.Select(r => r.Lines.Count));
        Assert.Equal(16, writer.SentLines);
        Assert.Equal(0, writer.DroppedLines);
        Assert.Single(log.Lines, l => l.Contains("413"));
    }

    [Fact]
    public async Task Status413_ForASinglePoint_DropsOnlyThatPoint()
    {
        await using var server = new ScriptedHttpServer(r => r.BodyText.Contains("huge") ? ScriptedResponse.InfluxError(413, "too large") : null);
        await using var writer = new InfluxWriter(V1(server.Url), new CapturingWriter());
        writer.Write("m,pid=1 count=1i 1\nhuge,pid=2 count=2i 2\nm,pid=3 count=3i 3\n");
        Assert.True(await writer.FlushAsync(Patience));

        var delivered = server.Requests.Where(r => !r.BodyText.Contains("huge")).SelectMany(r => r.Lines).ToList();
        Assert.Equal(["m,pid=1 count=1i 1", "m,pid=3 count=3i 3"], delivered);
        Assert.Equal(1, writer.TakeDropped());
        Assert.Equal(0, writer.TakeDropped());
        Assert.Equal(2, writer.SentLines);
    }

    [Fact]
    public async Task Status400_DropsTheBatch_LogsTheServerMessageOnce_AndNeverRetries()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(ScriptedResponse.InfluxError(400, "bad timestamp"));
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(V1(server.Url), log);
        writer.Write(Lines(0, 5));
        Assert.True(await writer.FlushAsync(Patience));
        await Task.Delay(500);

        Assert.Single(server.Requests);
        Assert.Equal(5, writer.TakeDropped());
        Assert.Equal(0, writer.SentLines);
        var line = Assert.Single(log.Lines, l => l.Contains("bad timestamp"));
        Assert.Equal("influx: server rejected 5 of 5 points (400): bad timestamp; dropped, not retried", line);

        writer.Write(Lines(5, 1));
        Assert.True(await writer.FlushAsync(Patience));
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(1, writer.SentLines);
    }

    [Theory]
    [InlineData("partial write: field type conflict: input field \"count\" on measurement \"m\" is type float, already exists as type integer dropped=2", 2)]
    [InlineData("unable to parse 'm,pid=1 count=x 1': invalid number\nunable to parse 'm,pid=2 count=y 2': invalid number", 2)]
    [InlineData("{\"code\":\"invalid\"}", 6)]
    public async Task Status400_PartialWrite_CountsOnlyTheRejectedPoints(string serverMessage, int expectedDropped)
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(ScriptedResponse.InfluxError(400, serverMessage));
        await using var writer = new InfluxWriter(V1(server.Url), new CapturingWriter());
        writer.Write(Lines(0, 6));
        Assert.True(await writer.FlushAsync(Patience));

        Assert.Equal(expectedDropped, writer.TakeDropped());
        Assert.Equal(6 - expectedDropped, writer.SentLines);
    }

    [Fact]
    public async Task Status422_FromV2_DropsWithTheJsonMessage()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(422, "{\"code\":\"unprocessable entity\",\"message\":\"failure writing points to database: partial write: points beyond retention policy dropped=1\"}"));
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(Fast(InfluxWriterOptions.ForV2(server.Url, "o", "b", "t")), log);
        writer.Write(Lines(0, 3));
        Assert.True(await writer.FlushAsync(Patience));

        Assert.Equal(1, writer.TakeDropped());
        Assert.Contains(log.Lines, l => l.Contains("(422): failure writing points to database: partial write: points beyond retention policy dropped=1"));
    }

    [Fact]
    public async Task Status401_IsAFatalAuthState_PointsStayQueued_NoHotLoop()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = ScriptedResponse.InfluxError(401, "authorization failed") };
        var log = new CapturingWriter();
        var writer = new InfluxWriter(V1(server.Url) with { FlushTimeout = TimeSpan.FromSeconds(1) }, log);
        var raised = new List<InfluxFatalError>();
        writer.FatalErrorRaised += (_, e) => { lock (raised) raised.Add(e); };
        writer.Write(Lines(0, 5));

        await Wait.UntilAsync(() => writer.FatalError is not null, Patience, "the fatal state");
        const string expected = "InfluxDB rejected the credentials (401): authorization failed; check ALLOCLAT_INFLUX_TOKEN / --influx-token-file";
        Assert.Equal(expected, writer.FatalError!.Message);
        Assert.Equal(InfluxFatalKind.Authentication, writer.FatalError.Kind);
        Assert.Equal(401, writer.FatalError.StatusCode);

        await Task.Delay(1000);
        Assert.Single(server.Requests);
        Assert.Equal(5, writer.QueuedLines);
        Assert.Equal(0, writer.DroppedLines);
        lock (raised)
            Assert.Equal(expected, Assert.Single(raised).Message);
        Assert.Single(log.Lines, l => l == "influx: " + expected);

        await writer.DisposeAsync();
        Assert.Equal(5, writer.UnsentAtShutdown);
        Assert.Contains(log.Lines, l => l.StartsWith("influx: 5 points could not be sent", StringComparison.Ordinal));
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
        await using var writer = new InfluxWriter(V1(server.Url) with { RetentionPolicy = "weekly", FlushTimeout = TimeSpan.Zero }, new CapturingWriter());
        writer.Write(Lines(0, 2));
        await Wait.UntilAsync(() => writer.FatalError is not null, Patience, "the fatal state");
        await Task.Delay(300);

        Assert.Single(server.Requests);
        Assert.Contains("retention policy \"weekly\"", writer.FatalError!.Message);
    }

    [Fact]
    public async Task Redirect_IsAFatalConfigurationError()
    {
        await using var server = new ScriptedHttpServer
        {
            DefaultResponse = new ScriptedResponse(301, null, new Dictionary<string, string> { ["Location"] = "https://db.example/write" }),
        };
        await using var writer = new InfluxWriter(V1(server.Url) with { FlushTimeout = TimeSpan.Zero }, new CapturingWriter());
        writer.Write(Lines(0, 1));
        await Wait.UntilAsync(() => writer.FatalError is not null, Patience, "the fatal state");
        Assert.Equal(InfluxFatalKind.Configuration, writer.FatalError!.Kind);
        Assert.Contains("https://db.example/write", writer.FatalError.Message);
    }

    [Fact]
    public async Task FatalState_Clears_OnceTheServerAcceptsAgain()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(ScriptedResponse.InfluxError(401, "authorization failed"));
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(V1(server.Url) with { FatalRetryDelay = TimeSpan.FromMilliseconds(300) }, log);
        writer.Write(Lines(0, 3));
        await Wait.UntilAsync(() => writer.FatalError is not null, Patience, "the fatal state");
        Assert.True(await writer.FlushAsync(Patience));

        Assert.Null(writer.FatalError);
        Assert.Equal(3, writer.SentLines);
        Assert.Contains(log.Lines, l => l.Contains("accepts writes again"));
    }

    [Fact]
    public async Task ServerDownAtStart_QueuedPointsAreSentOnceItComesUp()
    {
        using var reserved = new ReservedPort();
        int port = reserved.Number;
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(V1(new Uri($"http://127.0.0.1:{port}/")), log);
        writer.Write(Lines(0, 3));
        await Wait.UntilAsync(() => log.Text.Contains("Connection refused"), Patience, "a connection-refused log line");
        writer.Write(Lines(3, 3));

        await using var server = new ScriptedHttpServer(port: port);
        Assert.True(await writer.FlushAsync(Patience));
        Assert.Equal(Lines(0, 6), string.Concat(server.Requests.Select(r => r.BodyText)));
        Assert.Equal(0, writer.TakeDropped());
        Assert.Contains(log.Lines, l => l.Contains("succeeded after"));
    }

    [Fact]
    public async Task QueueOverflow_WhileServerDown_KeepsTheNewest_AndCountsEveryDrop()
    {
        using var reserved = new ReservedPort();
        int port = reserved.Number;
        var log = new CapturingWriter();
        var sink = new InfluxSink(V1(new Uri($"http://127.0.0.1:{port}/")) with { QueueCapacity = 10 }, log);
        for (int i = 0; i < 25; i++)
            sink.Writer.Write(Lines(i, 1));
        await Wait.UntilAsync(() => sink.Writer.DroppedLines == 15 && sink.Writer.QueuedLines == 10, Patience,
            "15 drops with 10 lines left");
        // Through the interface, as the collector calls it (a default interface method would answer 0).
        Assert.Equal(15, ((Tracer.Core.ISnapshotSink)sink).TakeDropped());
        Assert.Equal(0, sink.TakeDropped());

        await using var server = new ScriptedHttpServer(port: port);
        Assert.True(await sink.Writer.FlushAsync(Patience));
        await sink.DisposeAsync();
        Assert.Equal(Lines(15, 10), string.Concat(server.Requests.Select(r => r.BodyText)));
        Assert.Equal(0, sink.TakeDropped());
        Assert.Contains(log.Lines, l => l.Contains("queue full (10 points)"));
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
    public async Task Dispose_GivesUpAtTheDeadline_AndReportsWhatWasNotSent()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = ScriptedResponse.InfluxError(503, "service unavailable") };
        var log = new CapturingWriter();
        var writer = new InfluxWriter(V1(server.Url) with { FlushTimeout = TimeSpan.FromSeconds(1) }, log);
        writer.Write(Lines(0, 42));
        await server.WaitForRequestsAsync(1, Patience);

        var clock = Stopwatch.StartNew();
        await writer.DisposeAsync();
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 4);
        Assert.Equal(42, writer.UnsentAtShutdown);
        Assert.Contains(log.Lines, l => l.StartsWith("influx: 42 points could not be sent to", StringComparison.Ordinal) && l.Contains("503"));
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
        await using var writer = new InfluxWriter(V1(new Uri($"http://127.0.0.1:{port}/")), new CapturingWriter());
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
