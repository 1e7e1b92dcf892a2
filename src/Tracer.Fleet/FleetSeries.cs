using HdrHistogram;
using Tracer.Aggregation;

namespace Tracer.Fleet;

/// <summary>One series of the fleet in one window: the sum of every host's histogram and who contributed.</summary>
public sealed class FleetSeries
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly HashSet<string> _hosts = new(StringComparer.Ordinal);

    public FleetSeries(string measurement, IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        Measurement = measurement;
        Tags = tags;
    }

    /// <summary>The measurement of the hosts' series (<c>alloc_latency</c>, <c>gc_pause</c>).</summary>
    public string Measurement { get; }

    /// <summary>The series' tags without host and pid, sorted by key.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; }

    public LongHistogram Histogram { get; } = LatencyHistograms.Create();

    public long Bytes { get; private set; }

    public int Hosts => _hosts.Count;

    /// <summary>
    /// Adds one host's histogram; false (and nothing added) when this (host, sequence, pid) was already merged,
    /// which is how a message read twice is counted once.
    /// </summary>
    public bool Add(HistogramMessage message, HistogramMerger merger)
    {
        if (!_seen.Add(message.Identity))
            return false;
        merger.AddTo(message.Histogram, Histogram);
        Bytes += message.Bytes;
        _hosts.Add(message.Host);
        return true;
    }
}
