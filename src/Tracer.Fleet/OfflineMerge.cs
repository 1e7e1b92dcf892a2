using System.Buffers;

namespace Tracer.Fleet;

/// <summary>
/// <c>alloclat merge</c>: the histograms of many hosts' <c>.lp</c> files (written with <c>--histograms</c>) merged
/// per fleet series and window, as the aggregator would, into <c>alloc_latency_fleet</c> line protocol. A file given
/// twice, or the same interval found twice, is merged once.
/// </summary>
public sealed class OfflineMerge
{
    private readonly FleetWindows _windows;

    public OfflineMerge(TimeSpan interval) => _windows = FleetWindows.Unbounded(interval);

    public long Messages { get; private set; }

    public long Duplicates { get; private set; }

    /// <exception cref="FormatException">a histogram line or its histogram cannot be read (file and line named)</exception>
    public void AddFile(string path)
    {
        long line = 0;
        foreach (var message in HistogramLineReader.Read(path))
        {
            line++;
            MergeOutcome outcome;
            try
            {
                outcome = _windows.Add(message, line);
            }
            catch (FormatException e)
            {
                throw new FormatException($"{path}: histogram of {message.Host} {message.FleetKey} at {message.EndUnixNs}: {e.Message}");
            }
            if (outcome == MergeOutcome.Duplicate)
                Duplicates++;
            else
                Messages++;
        }
    }

    /// <summary>Writes every window, oldest first; returns the number of fleet points written.</summary>
    public int WriteTo(IBufferWriter<byte> output)
    {
        int points = 0;
        foreach (var window in _windows.TakeAll().OrderBy(w => w.EndUnixNs))
        {
            var hosts = new List<int>();
            var snapshot = FleetPoints.ToSnapshot(window, hosts);
            FleetPoints.Write(snapshot, hosts, output);
            points += snapshot.Series.Count;
        }
        return points;
    }
}
