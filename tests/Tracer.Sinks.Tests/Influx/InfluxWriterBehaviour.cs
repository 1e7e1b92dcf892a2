using System.Globalization;
using Tracer.TestSupport;

namespace Tracer.Sinks.Tests;

/// <summary>
/// What the writer does whichever transport carries its batches: the queue, retries, 413 splitting, drop
/// accounting, fatal states and the flush deadline, against a scripted server on a real 127.0.0.1 socket bound to
/// port 0 (or to a <see cref="ReservedPort"/>, refusing connections until the server comes up). Each transport's test class derives from this one (v1 <c>/write</c> by hand, v2 through
/// InfluxDB.Client) and adds what only it does. Waits and timeouts run on <see cref="FakeClock"/>, so "retried
/// after 7 s, never before" and "never retried" are shown without sleeping.
/// </summary>
public abstract class InfluxWriterBehaviour
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    /// <summary>The API under test, to <paramref name="url"/>.</summary>
    protected abstract InfluxWriterOptions Api(Uri url);

    /// <summary>An error answer as this API's server gives it.</summary>
    protected abstract ScriptedResponse Error(int status, string message, IReadOnlyDictionary<string, string>? headers = null);

    protected InfluxWriterOptions Fast(Uri url) => Api(url) with
    {
        InitialRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromMilliseconds(200),
        FatalRetryDelay = TimeSpan.FromSeconds(60),
        RequestTimeout = TimeSpan.FromSeconds(10),
        FlushTimeout = TimeSpan.FromSeconds(5),
    };

    protected static string Lines(int from, int count)
        => string.Concat(Enumerable.Range(from, count).Select(i => $"m,pid={i} count={i}i {1_000_000 + i}\n"));

    protected static string[] LineList(int from, int count) => Lines(from, count).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static Dictionary<string, string> Header(string name, string value) => new() { [name] = value };

    [Fact]
    public async Task Batches_HoldAtMost5000Lines_InOrder()
    {
        await using var server = new ScriptedHttpServer();
        var options = Fast(server.Url);
        Assert.Equal(5000, options.BatchSize);
        await using var writer = new InfluxWriter(options, new CapturingWriter());
        writer.Write(Lines(0, 12001));
        Assert.True(await writer.FlushAsync(Patience));

        var requests = server.Requests;
        Assert.Equal([5000, 5000, 2001], requests.Select(r => r.Lines.Count));
        Assert.Equal(LineList(0, 12001), requests.SelectMany(r => r.Lines));
        Assert.Equal(12001, writer.SentLines);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task RetryAfterInSeconds_IsWaitedExactly_NeverLess(int status)
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(Error(status, "slow down", Header("Retry-After", "7")));
        var clock = new FakeClock();
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(Fast(server.Url), log, clock);
        writer.Write(Lines(0, 4));

        // Backoff alone would retry after 25-50 ms; the server asked for 7 s.
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(7));
        clock.Advance(TimeSpan.FromSeconds(7) - Tick);
        Assert.Single(server.Requests);
        clock.Advance(Tick);
        Assert.True(await writer.FlushAsync(Patience));

        var requests = server.Requests;
        Assert.Equal(2, requests.Count);
        Assert.Equal(requests[0].Lines, requests[1].Lines);
        Assert.Equal(4, writer.SentLines);
        Assert.Equal(0, writer.TakeDropped());
        Assert.Contains(log.Lines, l => l.Contains(status.ToString(CultureInfo.InvariantCulture)) && l.Contains("slow down") && l.Contains("retrying in 7.0 s"));
    }

    [Fact]
    public async Task RetryAfterAsAnHttpDate_IsWaitedExactly()
    {
        var clock = new FakeClock();
        await using var server = new ScriptedHttpServer();
        server.Enqueue(Error(429, "slow down", Header("Retry-After", clock.GetUtcNow().AddSeconds(5).ToString("r", CultureInfo.InvariantCulture))));
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(Fast(server.Url), log, clock);
        writer.Write(Lines(0, 3));

        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(5));
        clock.Advance(TimeSpan.FromSeconds(5) - Tick);
        Assert.Single(server.Requests);
        clock.Advance(Tick);
        Assert.True(await writer.FlushAsync(Patience));
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(3, writer.SentLines);
        Assert.Contains(log.Lines, l => l.Contains("429") && l.Contains("slow down"));
        Assert.DoesNotContain(log.Lines, l => l.Contains("unexpected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServerErrors_AreRetried_AndDeliveredOnce()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(Error(500, "timeout"), Error(503, "engine busy"));
        await using var writer = new InfluxWriter(Fast(server.Url), new CapturingWriter());
        writer.Write(Lines(0, 7));
        Assert.True(await writer.FlushAsync(Patience));

        var requests = server.Requests;
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal(LineList(0, 7), r.Lines));
        Assert.Equal(7, writer.SentLines);
        Assert.Equal(0, writer.DroppedLines);
    }

    [Fact]
    public async Task DroppedConnections_AreNetworkErrors_AndRetried()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(ScriptedResponse.Drop, ScriptedResponse.Drop);
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(Fast(server.Url), log);
        writer.Write(Lines(0, 3));
        Assert.True(await writer.FlushAsync(Patience));

        Assert.True(server.Requests.Count >= 3, $"expected the dropped requests to be retried, got {server.Requests.Count} requests");
        Assert.Equal(LineList(0, 3), server.Requests[^1].Lines);
        Assert.Equal(3, writer.SentLines);
        Assert.Contains(log.Lines, l => l.Contains("failed") && l.Contains("retrying"));
    }

    [Fact]
    public async Task NoAnswer_IsATimeout_AndRetried()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(204) { Delay = TimeSpan.FromHours(1) });
        var clock = new FakeClock();
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(Fast(server.Url), log, clock);
        writer.Write(Lines(0, 2));

        await server.WaitForRequestsAsync(1, Patience);
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(10));
        clock.Advance(TimeSpan.FromSeconds(10) - Tick);
        Assert.Equal(0, writer.SentLines);
        clock.Advance(Tick);
        await clock.WaitForTimerAsync(t => t > TimeSpan.Zero && t <= TimeSpan.FromMilliseconds(200), "the backoff after the timeout");
        clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.True(await writer.FlushAsync(Patience));

        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(2, writer.SentLines);
        Assert.Contains(log.Lines, l => l.Contains("no answer within 10.0 s"));
    }

    [Fact]
    public async Task Status413_SplitsTheBatchInHalves_AndLaterBatchesStaySmaller()
    {
        await using var server = new ScriptedHttpServer(r => r.Lines.Count > 4 ? Error(413, "request entity too large") : null);
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(Fast(server.Url), log);
        writer.Write(Lines(0, 8));
        Assert.True(await writer.FlushAsync(Patience));

        Assert.Equal([8, 4, 4], server.Requests.Select(r => r.Lines.Count));
        Assert.Equal(LineList(0, 8), server.Requests.Skip(1).SelectMany(r => r.Lines));

        writer.Write(Lines(8, 8));
        Assert.True(await writer.FlushAsync(Patience));
        Assert.Equal([8, 4, 4, 4, 4], server.Requests.Select(r => r.Lines.Count));
        Assert.Equal(LineList(0, 16), server.Requests.Skip(1).SelectMany(r => r.Lines));
        Assert.Equal(16, writer.SentLines);
        Assert.Equal(0, writer.DroppedLines);
        Assert.Single(log.Lines, l => l.Contains("413") && l.Contains("request entity too large"));
    }

    [Fact]
    public async Task Status413_ForASinglePoint_DropsOnlyThatPoint()
    {
        await using var server = new ScriptedHttpServer(r => r.BodyText.Contains("huge") ? Error(413, "too large") : null);
        await using var writer = new InfluxWriter(Fast(server.Url), new CapturingWriter());
        writer.Write("m,pid=1 count=1i 1\nhuge,pid=2 count=2i 2\nm,pid=3 count=3i 3\n");
        Assert.True(await writer.FlushAsync(Patience));

        var delivered = server.Requests.Where(r => !r.BodyText.Contains("huge")).SelectMany(r => r.Lines).ToList();
        Assert.Equal(["m,pid=1 count=1i 1", "m,pid=3 count=3i 3"], delivered);
        Assert.Equal(1, writer.TakeDropped());
        Assert.Equal(0, writer.TakeDropped());
        Assert.Equal(2, writer.SentLines);
        Assert.Equal(1, writer.RejectedLines);
    }

    [Fact]
    public async Task Status400_DropsTheBatch_LogsTheServerMessageOnce_AndNeverRetries()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(Error(400, "bad timestamp"));
        var clock = new FakeClock();
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(Fast(server.Url), log, clock);
        writer.Write(Lines(0, 5));
        Assert.True(await writer.FlushAsync(Patience));

        // Nothing is left to send: however long the writer waits, no request repeats the batch.
        Assert.Equal(0, writer.QueuedLines);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Single(server.Requests);
        Assert.Equal(5, writer.TakeDropped());
        Assert.Equal(0, writer.SentLines);
        var line = Assert.Single(log.Lines, l => l.Contains("bad timestamp"));
        Assert.Equal("influx: server rejected 5 of 5 points (400): bad timestamp; dropped, not retried", line);

        writer.Write(Lines(5, 1));
        Assert.True(await writer.FlushAsync(Patience));
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(LineList(5, 1), server.Requests[1].Lines);
        Assert.Equal(1, writer.SentLines);
    }

    [Theory]
    [InlineData(400, "partial write: field type conflict: input field \"count\" on measurement \"m\" is type float, already exists as type integer dropped=2", 2)]
    [InlineData(400, "unable to parse 'm,pid=1 count=x 1': invalid number\nunable to parse 'm,pid=2 count=y 2': invalid number", 2)]
    [InlineData(400, "{\"code\":\"invalid\"}", 6)]
    [InlineData(422, "failure writing points to database: partial write: points beyond retention policy dropped=1", 1)]
    public async Task Rejections_CountOnlyTheRejectedPoints_NotRetried(int status, string serverMessage, int expectedDropped)
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(Error(status, serverMessage));
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(Fast(server.Url), log);
        writer.Write(Lines(0, 6));
        Assert.True(await writer.FlushAsync(Patience));

        Assert.Single(server.Requests);
        Assert.Equal(expectedDropped, writer.TakeDropped());
        Assert.Equal(expectedDropped, writer.RejectedLines);
        Assert.Equal(6 - expectedDropped, writer.SentLines);
        Assert.Contains($"influx: server rejected {expectedDropped} of 6 points ({status}): {InfluxServerMessage.OneLine(serverMessage)}; dropped, not retried", log.Lines);
    }

    [Fact]
    public async Task Status401_IsAFatalAuthState_PointsStayQueued_NoHotLoop()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = Error(401, "authorization failed") };
        var clock = new FakeClock();
        var log = new CapturingWriter();
        var writer = new InfluxWriter(Fast(server.Url) with { FlushTimeout = TimeSpan.FromSeconds(1) }, log, clock);
        var raised = new List<InfluxFatalError>();
        writer.FatalErrorRaised += (_, e) => { lock (raised) raised.Add(e); };
        writer.Write(Lines(0, 5));

        await Wait.UntilAsync(() => writer.FatalError is not null, Patience, "the fatal state");
        const string expected = "InfluxDB rejected the credentials (401): authorization failed; check ALLOCLAT_INFLUX_TOKEN / --influx-token-file";
        Assert.Equal(expected, writer.FatalError!.Message);
        Assert.Equal(InfluxFatalKind.Authentication, writer.FatalError.Kind);
        Assert.Equal(401, writer.FatalError.StatusCode);

        // The next attempt waits the fatal retry delay: one tick short of it, still one request.
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(60));
        clock.Advance(TimeSpan.FromSeconds(60) - Tick);
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

    [Theory]
    [InlineData(301)]
    [InlineData(307)]
    public async Task Redirect_IsNotFollowed_ButReportedAsConfiguration(int status)
    {
        await using var server = new ScriptedHttpServer
        {
            DefaultResponse = new ScriptedResponse(status, null, Header("Location", "https://db.example/write")),
        };
        await using var writer = new InfluxWriter(Fast(server.Url) with { FlushTimeout = TimeSpan.Zero }, new CapturingWriter(), new FakeClock());
        writer.Write(Lines(0, 1));
        await Wait.UntilAsync(() => writer.FatalError is not null, Patience, "the fatal state");
        Assert.Equal(InfluxFatalKind.Configuration, writer.FatalError!.Kind);
        Assert.Contains("https://db.example/write", writer.FatalError.Message);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task FatalState_Clears_OnceTheServerAcceptsAgain()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(Error(401, "authorization failed"));
        var clock = new FakeClock();
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(Fast(server.Url), log, clock);
        writer.Write(Lines(0, 3));
        await Wait.UntilAsync(() => writer.FatalError is not null, Patience, "the fatal state");
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(60));
        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.True(await writer.FlushAsync(Patience));

        Assert.Null(writer.FatalError);
        Assert.Equal(3, writer.SentLines);
        Assert.Contains(log.Lines, l => l.Contains("accepts writes again"));
    }

    [Fact]
    public async Task QueueStaysBounded_WhileTheServerFails()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = Error(503, "down") };
        await using var writer = new InfluxWriter(Fast(server.Url) with { QueueCapacity = 10, FlushTimeout = TimeSpan.Zero }, new CapturingWriter());
        writer.Write(Lines(0, 25));
        await server.WaitForRequestsAsync(2, Patience);
        Assert.Equal(15, writer.DroppedLines);
        Assert.Equal(15, writer.OverflowedLines);
        Assert.Equal(10, writer.QueuedLines);
    }

    [Fact]
    public async Task ServerDownAtStart_QueuedPointsAreSentOnceItComesUp()
    {
        using var reserved = new ReservedPort();
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(Fast(reserved.Url), log);
        writer.Write(Lines(0, 3));
        await Wait.UntilAsync(() => log.Text.Contains("Connection refused"), Patience, "a connection-refused log line");
        writer.Write(Lines(3, 3));

        await using var server = new ScriptedHttpServer(port: reserved.Number);
        Assert.True(await writer.FlushAsync(Patience));
        Assert.Equal(LineList(0, 6), server.Requests.SelectMany(r => r.Lines));
        Assert.Equal(0, writer.TakeDropped());
        Assert.Contains(log.Lines, l => l.Contains("succeeded after"));
    }

    [Fact]
    public async Task QueueOverflow_WhileServerDown_KeepsTheNewest_AndCountsEveryDrop()
    {
        using var reserved = new ReservedPort();
        var log = new CapturingWriter();
        var sink = new InfluxSink(Fast(reserved.Url) with { QueueCapacity = 10 }, log);
        for (int i = 0; i < 25; i++)
            sink.Writer.Write(Lines(i, 1));
        await Wait.UntilAsync(() => sink.Writer.DroppedLines == 15 && sink.Writer.QueuedLines == 10, Patience,
            "15 drops with 10 lines left");
        // Through the interface, as the collector calls it (a default interface method would answer 0).
        Assert.Equal(15, ((Tracer.Core.ISnapshotSink)sink).TakeDropped());
        Assert.Equal(0, sink.TakeDropped());

        await using var server = new ScriptedHttpServer(port: reserved.Number);
        Assert.True(await sink.Writer.FlushAsync(Patience));
        await sink.DisposeAsync();
        Assert.Equal(LineList(15, 10), server.Requests.SelectMany(r => r.Lines));
        Assert.Equal(0, sink.TakeDropped());
        Assert.Contains(log.Lines, l => l.Contains("queue full (10 points)"));
    }

    public static TheoryData<string> Failures => ["503", "429", "hang", "reset"];

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Dispose_EndsAtTheFlushDeadline_WhateverIsInFlight_AndCountsEveryUnsentPoint(string failure)
    {
        var answer = failure switch
        {
            "503" => Error(503, "service unavailable"),
            "429" => Error(429, "too many requests", Header("Retry-After", "1")),
            "hang" => new ScriptedResponse(204) { Delay = TimeSpan.FromHours(1) },
            _ => ScriptedResponse.Drop,
        };
        await using var server = new ScriptedHttpServer { DefaultResponse = answer };
        var clock = new FakeClock();
        var log = new CapturingWriter();
        var writer = new InfluxWriter(Fast(server.Url), log, clock);
        writer.Write(Lines(0, 711));
        await server.WaitForRequestsAsync(1, Patience);

        var disposing = writer.DisposeAsync().AsTask();
        clock.Advance(TimeSpan.FromSeconds(5) - Tick);
        Assert.False(disposing.IsCompleted, "the writer gave up before its flush deadline");
        clock.Advance(Tick);
        await disposing.WaitAsync(Patience);

        Assert.Equal(711, writer.UnsentAtShutdown);
        Assert.Equal(0, writer.SentLines);
        Assert.Equal(0, writer.DroppedLines);
        Assert.Contains(log.Lines, l => l.StartsWith("influx: 711 points could not be sent to", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status400ForAWholeBatch_CountsEveryPointOfIt()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = Error(400, "bad timestamp") };
        await using var writer = new InfluxWriter(Fast(server.Url), new CapturingWriter());
        writer.Write(Lines(0, 711));
        Assert.True(await writer.FlushAsync(Patience));
        Assert.Equal(711, writer.RejectedLines);
        Assert.Equal(711, writer.TakeDropped());
        Assert.Equal(0, writer.SentLines);
    }
}
