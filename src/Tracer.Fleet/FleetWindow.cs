namespace Tracer.Fleet;

/// <summary>Every fleet series of one interval window, as merged so far.</summary>
public sealed class FleetWindow
{
    private readonly Dictionary<string, FleetSeries> _series = new(StringComparer.Ordinal);

    public FleetWindow(long startUnixNs, long endUnixNs)
    {
        StartUnixNs = startUnixNs;
        EndUnixNs = endUnixNs;
    }

    public long StartUnixNs { get; }

    /// <summary>The window's end: the timestamp of its points.</summary>
    public long EndUnixNs { get; }

    /// <summary>Smallest source offset of a message merged here (what must be read again if it is not written).</summary>
    public long FirstOffset { get; private set; } = long.MaxValue;

    public IReadOnlyCollection<FleetSeries> Series => _series.Values;

    public FleetSeries SeriesFor(HistogramMessage message, long offset)
    {
        string key = message.FleetKey;
        if (!_series.TryGetValue(key, out var s))
        {
            s = new FleetSeries(message.Measurement, message.Tags.Where(t => !HistogramMessage.IsHostLocal(t.Key)).ToArray());
            _series.Add(key, s);
        }
        FirstOffset = Math.Min(FirstOffset, offset);
        return s;
    }
}
