using System.Text.Json;
using Tracer.TestSupport;

namespace Tracer.Kafka.Tests;

/// <summary>
/// The partition's leader goes down while two hosts trace and comes back. Kafka here is librdkafka's mock cluster
/// (test.mock.num.brokers=3) inside this test process, speaking the real protocol on loopback; the broker is taken
/// down and up with the mock cluster's own controls, and kcat, an independent client, reads what arrived.
/// </summary>
[Collection("kafka")]
public class BrokerOutageTests : IDisposable
{
    public void Dispose() => FleetRun.KillLeftovers();

    private const string Topic = "outage";

    [Fact]
    public async Task TheQueueHoldsThroughAnOutageAndDropsBeyondItsBoundAreCounted()
    {
        using var kafka = new KafkaMockCluster();
        kafka.CreateTopic(Topic, partitions: 1);
        kafka.SetLeader(Topic, 0, brokerId: 1);
        string dir = Directory.CreateTempSubdirectory("alloclat-outage-").FullName;
        string gate = Path.Combine(dir, "go");
        string held = Path.Combine(dir, "held.lp"), bounded = Path.Combine(dir, "bounded.lp");
        var big = FleetRun.Collector("held", kafka.Bootstraps, held, rounds: 20, gate, ["--kafka-topic", Topic]);
        var small = FleetRun.Collector("bounded", kafka.Bootstraps, bounded, rounds: 20, gate, ["--kafka-topic", Topic, "--kafka-queue", "5"]);
        FleetRun.WaitFor(big, "[INFO] tracing ");
        FleetRun.WaitFor(small, "[INFO] tracing ");

        kafka.BrokerDown(1);
        File.WriteAllText(gate, "");
        // The broker stays down until the small queue has overflowed and said so in alloclat_stats.
        await Wait.UntilAsync(() => Dropped(bounded) > 0, TimeSpan.FromSeconds(30), "drops counted in alloclat_stats.sink_dropped");
        kafka.BrokerUp(1);

        var totals = new Dictionary<string, (long Delivered, long Dropped)>();
        foreach (var (name, c) in new[] { ("held", big), ("bounded", small) })
        {
            var (exit, _, stderr) = c.Wait(TimeSpan.FromMinutes(2));
            Assert.True(exit == 0, stderr);
            var m = System.Text.RegularExpressions.Regex.Match(stderr, @"\[INFO\] kafka: (\d+) histogram messages delivered to outage, (\d+) dropped");
            Assert.True(m.Success, stderr);
            totals[name] = (long.Parse(m.Groups[1].Value), long.Parse(m.Groups[2].Value));
        }

        var kcat = CapturedProcess.Start("kcat", ["-C", "-b", kafka.Bootstraps, "-t", Topic, "-o", "beginning", "-e", "-q", "-f", "%s\n"]).Wait(TimeSpan.FromSeconds(60));
        Assert.True(kcat.ExitCode == 0, kcat.Stderr);
        var received = kcat.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Identity).ToList();
        Assert.Equal(received.Count, received.Distinct().Count());

        var heldSent = Sent(held);
        Assert.Equal(0, Dropped(held));
        Assert.Equal((heldSent.Count, 0L), totals["held"]);
        Assert.Equal(heldSent.Order(), received.Where(r => r.StartsWith("held ", StringComparison.Ordinal)).Order());

        var boundedSent = Sent(bounded);
        var boundedReceived = received.Where(r => r.StartsWith("bounded ", StringComparison.Ordinal)).ToList();
        // Drops are counted in alloclat_stats as they happen; those of the last interval only in the exit line.
        var (delivered, dropped) = totals["bounded"];
        Assert.InRange(Dropped(bounded), 1, dropped);
        Assert.Equal(delivered, boundedReceived.Count);
        Assert.Equal(boundedSent.Count, delivered + dropped);
        Assert.Subset(boundedSent.ToHashSet(), boundedReceived.ToHashSet());
    }

    /// <summary>host, sequence and series of a message as kcat printed it.</summary>
    private static string Identity(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var m = doc.RootElement;
        var tags = string.Join(",", m.GetProperty("tags").EnumerateObject().Select(p => $"{p.Name}={p.Value.GetString()}"));
        return $"{m.GetProperty("host").GetString()} {m.GetProperty("sequence").GetInt64()} {m.GetProperty("measurement").GetString()},{tags}";
    }

    /// <summary>Every histogram the collector handed to Kafka, from its --histograms output.</summary>
    private static List<string> Sent(string lp) =>
        IndependentHistograms.Read(lp).Select(i => $"{i.Host} {i.Sequence} {i.Source},{string.Join(",", i.Tags.Select(t => $"{t.Key}={t.Value}"))}").ToList();

    private static long Dropped(string lp) => File.Exists(lp)
        ? File.ReadLines(lp).Where(l => l.StartsWith("alloclat_stats,", StringComparison.Ordinal))
            .Sum(l => long.Parse(l.Split(' ')[1].Split(',').Single(f => f.StartsWith("sink_dropped=", StringComparison.Ordinal))["sink_dropped=".Length..].TrimEnd('i'), System.Globalization.CultureInfo.InvariantCulture))
        : 0;
}
