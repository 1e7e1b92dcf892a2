using System.Text.Json;
using Tracer.Core;
using Tracer.TestSupport;

namespace Tracer.Alerts.Tests;

public sealed class AlertWebhookTests
{
    private static AlertWebhookOptions Fast(Uri url) => new(url)
    {
        InitialDelay = TimeSpan.FromMilliseconds(50),
        MaxDelay = TimeSpan.FromMilliseconds(200),
        RequestTimeout = TimeSpan.FromSeconds(5),
        DrainTimeout = TimeSpan.FromSeconds(10),
    };

    private static List<AlertTransition> StepTransitions()
    {
        var engine = new AlertEngine([AlertRuleParser.Parse("slow: p999 > 5ms for 2 intervals resolve after 1 interval")]);
        var all = new List<AlertTransition>();
        long[] ms = [9, 9, 1];
        for (int i = 0; i < ms.Length; i++)
            all.AddRange(engine.Evaluate(Synthetic.At(i, Synthetic.Series(ms[i] * 1_000_000))));
        return all;
    }

    [Fact]
    public async Task FailingListener_GetsTheSameBodyRetried_UntilAccepted()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(503), new ScriptedResponse(503), new ScriptedResponse(200));
        var log = new StringWriter();
        var transition = StepTransitions().Single(t => t.StateName == "firing");
        await using (var webhook = new AlertWebhook(Fast(new Uri(server.Url, "hook")), log))
        {
            webhook.Enqueue(transition);
            await server.WaitForRequestsAsync(3, TimeSpan.FromSeconds(20));
            await Wait.UntilAsync(() => webhook.Delivered == 1, TimeSpan.FromSeconds(10), "delivery to be counted");
            Assert.Equal(0, webhook.Failed);
        }
        var requests = server.Requests;
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal("POST", r.Method));
        Assert.All(requests, r => Assert.Equal("/hook", r.Path));
        Assert.All(requests, r => Assert.StartsWith("application/json", r.Header("Content-Type")));
        Assert.Single(requests.Select(r => r.BodyText).Distinct());

        using var doc = JsonDocument.Parse(requests[2].BodyText);
        var root = doc.RootElement;
        Assert.Equal("firing", root.GetProperty("state").GetString());
        Assert.Equal("pending", root.GetProperty("previous").GetString());
        Assert.Equal("slow", root.GetProperty("rule").GetString());
        Assert.Equal("alloc_latency", root.GetProperty("measurement").GetString());
        Assert.Equal("web-1", root.GetProperty("host").GetString());
        Assert.Equal("42", root.GetProperty("tags").GetProperty("pid").GetString());
        Assert.Equal(9_000_000, root.GetProperty("value_ns").GetInt64());
        Assert.Equal(5_000_000, root.GetProperty("threshold_ns").GetInt64());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("baseline_ns").ValueKind);
        Assert.Equal(transition.TimestampUnixNs, root.GetProperty("time_unix_ns").GetInt64());
        Assert.Equal("", log.ToString());
    }

    [Fact]
    public async Task Stage_SendsFiringAndResolved_NotPending()
    {
        await using var server = new ScriptedHttpServer();
        var log = new StringWriter();
        var stage = new AlertStage([AlertRuleParser.Parse("slow: p999 > 5ms for 2 intervals resolve after 1 interval")], log,
            new AlertWebhook(Fast(server.Url), log));
        long[] ms = [9, 9, 1];
        for (int i = 0; i < ms.Length; i++)
            stage.Apply(Synthetic.At(i, Synthetic.Series(ms[i] * 1_000_000)));
        await stage.DisposeAsync();
        Assert.Equal(["firing", "resolved"], server.Requests.Select(r => JsonDocument.Parse(r.BodyText).RootElement.GetProperty("state").GetString()));
        Assert.Equal(3, log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task PermanentError_IsNotRetried_AndIsLogged()
    {
        await using var server = new ScriptedHttpServer { DefaultResponse = new ScriptedResponse(400, "bad") };
        var log = new StringWriter();
        await using (var webhook = new AlertWebhook(Fast(server.Url), log))
        {
            webhook.Enqueue(StepTransitions()[1]);
            await Wait.UntilAsync(() => webhook.Failed == 1, TimeSpan.FromSeconds(10), "the failure to be counted");
        }
        Assert.Single(server.Requests);
        Assert.Contains("not delivered after 1 attempt(s): HTTP 400", log.ToString());
    }

    [Fact]
    public async Task Retries_WaitExactlyTheDoublingBackoff_NeverLess()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(503), new ScriptedResponse(503), new ScriptedResponse(200));
        var clock = new FakeClock();
        var options = Fast(server.Url);
        var retry = new RetryPolicy(options.InitialDelay, options.MaxDelay, options.MaxRetryAfter, clock, new MaxJitter());
        var webhook = new AlertWebhook(options, new StringWriter(), retry: retry);
        try
        {
            webhook.Enqueue(StepTransitions()[1]);

            // The first retry waits the initial delay, the second twice that: one tick short of each, nothing is sent.
            foreach (var (delay, sent) in new[] { (TimeSpan.FromMilliseconds(50), 1), (TimeSpan.FromMilliseconds(100), 2) })
            {
                await clock.WaitForTimerAsync(delay);
                clock.Advance(delay - TimeSpan.FromTicks(1));
                Assert.Equal(sent, server.Requests.Count);
                clock.Advance(TimeSpan.FromTicks(1));
                await server.WaitForRequestsAsync(sent + 1, TimeSpan.FromSeconds(20));
            }
            await Wait.UntilAsync(() => webhook.Delivered == 1, TimeSpan.FromSeconds(10), "delivery to be counted");
            Assert.Equal(3, server.Requests.Count);
        }
        finally
        {
            await DisposeOnFakeClock(webhook, clock, options);
        }
    }

    [Fact]
    public async Task RetryAfter_IsHonoured_InsteadOfTheBackoff()
    {
        await using var server = new ScriptedHttpServer();
        server.Enqueue(new ScriptedResponse(429, null, new Dictionary<string, string> { ["Retry-After"] = "7" }), new ScriptedResponse(200));
        var clock = new FakeClock();
        var options = Fast(server.Url);
        var webhook = new AlertWebhook(options, new StringWriter(),
            retry: new RetryPolicy(options.InitialDelay, options.MaxDelay, options.MaxRetryAfter, clock));
        try
        {
            webhook.Enqueue(StepTransitions()[1]);

            await clock.WaitForTimerAsync(TimeSpan.FromSeconds(7));
            clock.Advance(TimeSpan.FromSeconds(7) - TimeSpan.FromTicks(1));
            Assert.Single(server.Requests);
            clock.Advance(TimeSpan.FromTicks(1));
            await Wait.UntilAsync(() => webhook.Delivered == 1, TimeSpan.FromSeconds(20), "delivery after Retry-After");
            Assert.Equal(2, server.Requests.Count);
        }
        finally
        {
            await DisposeOnFakeClock(webhook, clock, options);
        }
    }

    /// <summary>
    /// Disposes a webhook whose retries wait on <paramref name="clock"/>: its drain timeout runs on that clock too, so
    /// a test that failed with a retry still waiting would otherwise wait for ever. The clock is moved on a drain
    /// timeout at a time until the disposal ends (bounded in real time), and the test reports its own failure.
    /// </summary>
    private static async Task DisposeOnFakeClock(AlertWebhook webhook, FakeClock clock, AlertWebhookOptions options)
    {
        var disposal = webhook.DisposeAsync().AsTask();
        await Wait.UntilAsync(() =>
        {
            if (!disposal.IsCompleted)
                clock.Advance(options.DrainTimeout);
            return disposal.IsCompleted;
        }, TimeSpan.FromSeconds(30), "the webhook's disposal", TimeSpan.FromMilliseconds(10));
        await disposal;
    }

    [Fact]
    public async Task DeadListener_GivesUpAfterMaxAttempts_WithoutBlockingEnqueue()
    {
        using var port = new ReservedPort();
        var log = new StringWriter();
        var options = Fast(port.Url) with { MaxAttempts = 3 };
        await using (var webhook = new AlertWebhook(options, log))
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < 5; i++)
                webhook.Enqueue(StepTransitions()[1]);
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(1), "enqueue must not wait for delivery");
            await Wait.UntilAsync(() => webhook.Failed >= 1, TimeSpan.FromSeconds(20), "a delivery to be given up");
        }
        Assert.Contains("not delivered after 3 attempt(s)", log.ToString());
    }
}
