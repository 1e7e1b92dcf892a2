namespace Tracer.Kafka;

/// <summary>What the aggregator did with the messages it read (totals since start).</summary>
public sealed class AggregatorCounters
{
    public long Merged;
    public long Late;
    public long Replayed;
    public long Duplicates;
    public long Invalid;
    public long Windows;
    public long Points;

    public AggregatorCounters Snapshot() => (AggregatorCounters)MemberwiseClone();
}
