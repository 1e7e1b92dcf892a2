namespace Tracer.Kafka;

/// <summary>How <c>alloclat aggregate</c> windows and names what it consumes.</summary>
public sealed record AggregatorOptions
{
    /// <summary>Consumer group: aggregators of one group split the topic's partitions.</summary>
    public required string Group { get; init; }

    /// <summary>The collectors' interval: windows end on its multiples.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Intervals a window stays open past its end for late hosts.</summary>
    public int LatenessIntervals { get; init; } = 2;

    /// <summary>This aggregator's name: the host tag of its own <c>alloclat_fleet_stats</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The topic holding each partition's watermark as a committed offset (default: the topic + ".watermarks").</summary>
    public string? WatermarkTopic { get; init; }
}
