using System.Globalization;
using Tracer.TestSupport;

namespace Tracer.Sinks.Tests;

/// <summary>
/// The InfluxDB 2.x/3.x write path through InfluxDB.Client (<c>WriteApiAsync</c>, gzip) under the writer's own
/// queue, retries, 413 splitting and drop accounting: the shared behaviour of <see cref="InfluxWriterBehaviour"/>,
/// and what only this path does (the client's headers, 2.x errors, the InfluxDB 2 preflight at start).
/// </summary>
public class InfluxClientTransportTests : InfluxWriterBehaviour
{
    protected override InfluxWriterOptions Api(Uri url) => InfluxWriterOptions.ForV2(url, "acme", "metrics", "tok-1");

    protected override ScriptedResponse Error(int status, string message, IReadOnlyDictionary<string, string>? headers = null) =>
        V2Error(status, "invalid", message, headers);

    private InfluxWriterOptions V2(Uri url) => Fast(url);

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
    public async Task Status404_NamesTheBucketAndOrg()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = V2Error(404, "not found", "bucket \"metrics\" not found") };
        await using var writer = new InfluxWriter(V2(server.Url) with { FlushTimeout = TimeSpan.Zero }, new CapturingWriter());
        writer.Write(Lines(0, 2));
        await Wait.UntilAsync(() => writer.FatalError is not null, Patience, "the fatal state");
        Assert.Equal(InfluxFatalKind.NotFound, writer.FatalError!.Kind);
        Assert.Equal("InfluxDB has no bucket \"metrics\" in org \"acme\" (404): bucket \"metrics\" not found; create it or fix the bucket/org name", writer.FatalError.Message);
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
