using Alloclat.Cli.CommandLine;
using Tracer.Alerts;

namespace Alloclat.Cli;

/// <summary>Everything <c>alloclat aggregate</c> accepts, after validation.</summary>
public sealed record AggregateOptions
{
    public string? KafkaBrokers { get; init; }
    public string KafkaTopic { get; init; } = KafkaOptionGroup.DefaultTopic;
    public string? KafkaProperties { get; init; }
    public string Group { get; init; } = "alloclat-aggregate";
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);
    public int LatenessIntervals { get; init; } = 2;
    public string? Host { get; init; }
    public TimeSpan? Duration { get; init; }

    /// <summary>Where the fleet series go (required).</summary>
    public InfluxSettings Influx { get; init; } = new() { QueueLines = 1_000_000 };
    public IReadOnlyList<AlertRule> Alerts { get; init; } = [];
}
