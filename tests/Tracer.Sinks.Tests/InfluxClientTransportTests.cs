using System.Globalization;
using Tracer.TestSupport;

namespace Tracer.Sinks.Tests;

/// <summary>
/// The InfluxDB 2.x/3.x write path through InfluxDB.Client (<c>WriteApiAsync</c>, gzip) under the writer's own
/// queue, retries, 413 splitting and drop accounting, against a scripted server on a real 127.0.0.1 socket; and the
/// InfluxDB 2 preflight at start.
/// </summary>
public class InfluxClientTransportTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static InfluxWriterOptions V2(Uri url) => InfluxWriterOptions.ForV2(url, "acme", "metrics", "tok-1") with
    {
        InitialRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromMilliseconds(200),
        FatalRetryDelay = TimeSpan.FromSeconds(60),
        RequestTimeout = TimeSpan.FromSeconds(5),
        FlushTimeout = TimeSpan.FromSeconds(5),
    };

    private static string Lines(int from, int count)
        => string.Concat(Enumerable.Range(from, count).Select(i => $"m,pid={i} count={i}i {1_000_000 + i}\n"));

    private static string[] LineList(int from, int count) => Lines(from, count).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static ScriptedResponse V2Error(int status, string code, string message, IReadOnlyDictionary<string, string>? headers = null) =>
        new(status, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["code"] = code, ["message"] = message }), headers);

    [Fact]
    public async Task Batches_GoThroughTheClient_Gzipped_WithTokenOrgBucketAndNsPrecision()
    {
        await using var server = new ScriptedHttpServer();
        await using var writer = new InfluxWriter(V2(server.Url), new CapturingWriter());
        writer.Write(Lines(0, 12001));
        Assert.True(await writer.FlushAsync(Patience));

        var requests = server.Requests;
        Assert.Equal([5000, 5000, 2001], requests.Select(r => r.Lines.Count));
        Assert.Equal(LineList(0, 12001), requests.SelectMany(r => r.Lines));
        foreach (var r in requests)
        {
            Assert.Equal("POST", r.Method);
            Assert.Equal("/api/v2/write", r.Path);
            Assert.Equal("acme", r.Query["org"]);
            Assert.Equal("metrics", r.Query["bucket"]);
            Assert.Equal("ns", r.Query["precision"]);
            Assert.Equal("Token tok-1", r.Header("Authorization"));
            Assert.Equal("gzip", r.Header("Content-Encoding"));
            Assert.Equal([0x1f, 0x8b], r.RawBody[..2]);
            Assert.Contains("influxdb-client-csharp", r.Header("User-Agent"));
        }
        Assert.Equal(12001, writer.SentLines);
    }

    [Fact]
    public async Task RetryAfterInSeconds_IsHonoured()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(V2Error(503, "unavailable", "engine busy", new Dictionary<string, string> { ["Retry-After"] = "1" }));
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(V2(server.Url), log);
        writer.Write(Lines(0, 4));
        Assert.True(await writer.FlushAsync(Patience));

        var r = server.Requests;
        Assert.Equal(2, r.Count);
        Assert.InRange(r[1].Since(r[0]).TotalSeconds, 0.95, 5);
        Assert.Equal(r[0].Lines, r[1].Lines);
        Assert.Equal(4, writer.SentLines);
        Assert.Contains(log.Lines, l => l.Contains("503") && l.Contains("engine busy") && l.Contains("retrying in 1.0 s"));
    }

    [Fact]
    public async Task RetryAfterAsAnHttpDate_IsHonoured_ThoughTheClientCannotReadIt()
    {
        await using var server = new ScriptedHttpServer(r => null);
        // Two seconds from now, on a whole second (HTTP dates have no fractions).
        var at = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3);
        server.Enqueue(V2Error(429, "too many requests", "slow down", new Dictionary<string, string>
        {
            ["Retry-After"] = at.ToString("r", CultureInfo.InvariantCulture),
        }));
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(V2(server.Url), log);
        writer.Write(Lines(0, 3));
        Assert.True(await writer.FlushAsync(Patience));

        var r = server.Requests;
        Assert.Equal(2, r.Count);
        Assert.True(r[1].Since(r[0]).TotalSeconds >= 1.5, $"retried after {r[1].Since(r[0]).TotalSeconds:0.00} s");
        Assert.Equal(3, writer.SentLines);
        Assert.Contains(log.Lines, l => l.Contains("429") && l.Contains("slow down"));
        Assert.DoesNotContain(log.Lines, l => l.Contains("unexpected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status413_SplitsInHalves_AndLaterBatchesStaySmaller()
    {
        await using var server = new ScriptedHttpServer(r => r.Lines.Count > 4 ? V2Error(413, "request too large", "points batch is too large") : null);
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(V2(server.Url), log);
        writer.Write(Lines(0, 8));
        Assert.True(await writer.FlushAsync(Patience));
        writer.Write(Lines(8, 8));
        Assert.True(await writer.FlushAsync(Patience));

        Assert.Equal([8, 4, 4, 4, 4], server.Requests.Select(r => r.Lines.Count));
        Assert.Equal(LineList(0, 16), server.Requests.Skip(1).SelectMany(r => r.Lines));
        Assert.Equal(16, writer.SentLines);
        Assert.Equal(0, writer.DroppedLines);
        Assert.Single(log.Lines, l => l.Contains("413") && l.Contains("points batch is too large"));
    }

    [Fact]
    public async Task Status422_PartialWrite_CountsTheDroppedPoints_NotRetried()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(V2Error(422, "unprocessable entity", "failure writing points to database: partial write: points beyond retention policy dropped=2"));
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(V2(server.Url), log);
        writer.Write(Lines(0, 5));
        Assert.True(await writer.FlushAsync(Patience));

        Assert.Single(server.Requests);
        Assert.Equal(2, writer.TakeDropped());
        Assert.Equal(3, writer.SentLines);
        Assert.Contains(log.Lines, l => l == "influx: server rejected 2 of 5 points (422): failure writing points to database: partial write: points beyond retention policy dropped=2; dropped, not retried");
    }

    [Fact]
    public async Task Status401_IsFatal_PointsStayQueued()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = V2Error(401, "unauthorized", "unauthorized access") };
        var writer = new InfluxWriter(V2(server.Url) with { FlushTimeout = TimeSpan.FromSeconds(1) }, new CapturingWriter());
        writer.Write(Lines(0, 5));
        await Wait.UntilAsync(() => writer.FatalError is not null, Patience, "the fatal state");
        Assert.Equal("InfluxDB rejected the credentials (401): unauthorized access; check ALLOCLAT_INFLUX_TOKEN / --influx-token-file", writer.FatalError!.Message);
        Assert.Equal(5, writer.QueuedLines);
        Assert.Single(server.Requests);
        await writer.DisposeAsync();
        Assert.Equal(5, writer.UnsentAtShutdown);
    }

    [Fact]
    public async Task Status404_NamesTheBucketAndOrg()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = V2Error(404, "not found", "bucket \"metrics\" not found") };
        await using var writer = new InfluxWriter(V2(server.Url) with { FlushTimeout = TimeSpan.Zero }, new CapturingWriter());
        writer.Write(Lines(0, 2));
        await Wait.UntilAsync(() => writer.FatalError is not null, Patience, "the fatal state");
        Assert.Equal(InfluxFatalKind.NotFound, writer.FatalError!.Kind);
        Assert.Equal("InfluxDB has no bucket \"metrics\" in org \"acme\" (404): bucket \"metrics\" not found; create it or fix the bucket/org name", writer.FatalError.Message);
    }

    [Fact]
    public async Task DroppedConnections_AreNetworkErrors_AndRetried()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(ScriptedResponse.Drop, ScriptedResponse.Drop);
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(V2(server.Url), log);
        writer.Write(Lines(0, 3));
        Assert.True(await writer.FlushAsync(Patience));

        Assert.True(server.Requests.Count >= 3, $"{server.Requests.Count} requests");
        Assert.Equal(LineList(0, 3), server.Requests[^1].Lines);
        Assert.Equal(3, writer.SentLines);
        Assert.Contains(log.Lines, l => l.Contains("failed") && l.Contains("retrying"));
    }

    [Fact]
    public async Task NoAnswer_IsATimeout_AndRetried()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(204) { Delay = TimeSpan.FromSeconds(3) });
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(V2(server.Url) with { RequestTimeout = TimeSpan.FromSeconds(1) }, log);
        writer.Write(Lines(0, 2));
        Assert.True(await writer.FlushAsync(Patience));

        Assert.True(server.Requests.Count >= 2);
        Assert.Equal(2, writer.SentLines);
        Assert.Contains(log.Lines, l => l.Contains("no answer within 1.0 s"));
    }

    [Fact]
    public async Task Redirect_IsNotFollowed_ButReportedAsConfiguration()
    {
        await using var server = new ScriptedHttpServer
        {
            DefaultResponse = new ScriptedResponse(307, null, new Dictionary<string, string> { ["Location"] = "https://db.example/api/v2/write" }),
        };
        await using var writer = new InfluxWriter(V2(server.Url) with { FlushTimeout = TimeSpan.Zero }, new CapturingWriter());
        writer.Write(Lines(0, 1));
        await Wait.UntilAsync(() => writer.FatalError is not null, Patience, "the fatal state");
        Assert.Equal(InfluxFatalKind.Configuration, writer.FatalError!.Kind);
        Assert.Contains("https://db.example/api/v2/write", writer.FatalError.Message);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task QueueStaysBounded_WhileTheServerIsDown()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = V2Error(503, "unavailable", "down") };
        await using var writer = new InfluxWriter(V2(server.Url) with { QueueCapacity = 10, FlushTimeout = TimeSpan.Zero }, new CapturingWriter());
        writer.Write(Lines(0, 25));
        await server.WaitForRequestsAsync(2, Patience);
        Assert.Equal(15, writer.DroppedLines);
        Assert.Equal(10, writer.QueuedLines);
    }

    private static ScriptedHttpServer Influx2(ScriptedResponse write) => new(r => r.Path switch
    {
        "/ping" => new ScriptedResponse(204, null, new Dictionary<string, string> { ["X-Influxdb-Version"] = "v2.7.10", ["X-Influxdb-Build"] = "OSS" }),
        "/api/v2/write" => write,
        _ => new ScriptedResponse(404),
    });

    [Fact]
    public async Task Preflight_EmptyWriteAnsweredWritingRequiresPoints_MeansOrgBucketAndPermissionAreThere()
    {
        await using var server = Influx2(V2Error(400, "invalid", "writing requires points"));
        await using var writer = new InfluxWriter(V2(server.Url), new CapturingWriter());
        var result = await writer.PingAsync();

        Assert.True(result.Ok, result.Message);
        Assert.Equal($"InfluxDB v2.7.10 at {server.Url} is reachable; org \"acme\" and bucket \"metrics\" exist and the token may write to them", result.Message);
        var write = Assert.Single(server.Requests, r => r.Path == "/api/v2/write");
        Assert.Empty(write.Lines);
        Assert.Equal("Token tok-1", write.Header("Authorization"));
    }

    [Theory]
    [InlineData(404, "not found", "organization name \"acme\" not found", "has no org \"acme\" (404): organization name \"acme\" not found; fix --influx-org or create the org")]
    [InlineData(404, "not found", "bucket \"metrics\" not found", "has no bucket \"metrics\" in org \"acme\" (404): bucket \"metrics\" not found; fix --influx-bucket or create the bucket")]
    [InlineData(403, "forbidden", "insufficient permissions for write", ": the token may not write to bucket \"metrics\" of org \"acme\" (403): insufficient permissions for write; give it write permission on that bucket")]
    [InlineData(401, "unauthorized", "unauthorized access", "rejected the token (401): unauthorized access; check ALLOCLAT_INFLUX_TOKEN / --influx-token-file")]
    public async Task Preflight_SaysInOneLineWhatIsWrong(int status, string code, string message, string expected)
    {
        await using var server = Influx2(V2Error(status, code, message));
        await using var writer = new InfluxWriter(V2(server.Url), new CapturingWriter());
        var result = await writer.PingAsync();

        Assert.True(result.Reachable);
        Assert.False(result.Ok);
        Assert.EndsWith(expected, result.Message);
        Assert.StartsWith($"InfluxDB v2.7.10 at {server.Url}", result.Message);
        Assert.DoesNotContain('\n', result.Message);
    }

    [Fact]
    public async Task Preflight_RunsOnlyAgainstInfluxDb2()
    {
        // VictoriaMetrics and InfluxDB 3 answer /ping without a 2.x version: no write check, nothing written.
        await using var server = new ScriptedHttpServer(r => r.Path == "/ping" ? new ScriptedResponse(204) : null);
        await using var writer = new InfluxWriter(V2(server.Url), new CapturingWriter());
        var result = await writer.PingAsync();
        Assert.True(result.Ok, result.Message);
        Assert.Equal("/ping", Assert.Single(server.Requests).Path);
    }
}
