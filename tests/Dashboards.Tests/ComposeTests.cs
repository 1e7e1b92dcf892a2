using System.Text.RegularExpressions;
using YamlDotNet.Serialization;

namespace Dashboards.Tests;

/// <summary>The collector service of docker-compose.yml runs a command the built collector accepts.</summary>
public sealed partial class ComposeTests
{
    private static List<string> CollectorCommand()
    {
        var compose = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(Repo.Path("docker-compose.yml")));
        var collector = Provisioning.Map(Provisioning.Map(compose["services"])["collector"]);
        return Provisioning.List(collector["command"]).Select(x => x.ToString()!).ToList();
    }

    [Fact]
    public void CollectorCommand_UsesOnlyOptionsTheCollectorHas()
    {
        var command = CollectorCommand();
        Assert.Equal("record", command[0]);
        var (exit, stdout, stderr) = Tracer.TestSupport.Collector.Run(["record", "--help"], TimeSpan.FromSeconds(30));
        Assert.Equal(0, exit);
        var known = OptionName().Matches(stdout + stderr).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var option in command.Where(a => a.StartsWith("--", StringComparison.Ordinal)))
            Assert.True(known.Contains(option), $"{option} is not an option of alloclat record");
    }

    [Fact]
    public void AggregatorCommand_UsesOnlyOptionsTheAggregatorHas()
    {
        var compose = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(Repo.Path("docker-compose.yml")));
        var aggregator = Provisioning.Map(Provisioning.Map(compose["services"])["aggregator"]);
        var command = Provisioning.List(aggregator["command"]).Select(x => x.ToString()!).ToList();
        Assert.Equal("aggregate", command[0]);
        var (exit, stdout, stderr) = Tracer.TestSupport.Collector.Run(["aggregate", "--help"], TimeSpan.FromSeconds(30));
        Assert.Equal(0, exit);
        var known = OptionName().Matches(stdout + stderr).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var option in command.Where(a => a.StartsWith("--", StringComparison.Ordinal)))
            Assert.True(known.Contains(option), $"{option} is not an option of alloclat aggregate");
    }

    [Fact]
    public void Collector_WritesItsFileIntoTheVolume()
    {
        var command = CollectorCommand();
        string output = command[command.IndexOf("--output") + 1];
        Assert.StartsWith("/var/lib/alloclat/", output, StringComparison.Ordinal);
        // A restarted container appends; rotation bounds the volume.
        Assert.Equal("256M", command[command.IndexOf("--output-max-size") + 1]);
        Assert.Equal("4", command[command.IndexOf("--output-keep") + 1]);
    }

    [GeneratedRegex(@"--[a-z][a-z0-9-]+")]
    private static partial Regex OptionName();
}
