using HdrHistogram;
using Tracer.Core;

namespace Tracer.Aggregation;

/// <summary>
/// One histogram per series for the whole run, the sum of that series' interval histograms. Filled by the
/// <see cref="SeriesTable"/> on the polling thread as each interval closes, and read once the polling has ended
/// (or from the thread that received the last snapshot, which the channel orders after the last merge).
/// Series are kept for the whole run, also after the table forgets them for being idle; those of processes that
/// exited keep their figures, not their histograms (<see cref="Freeze"/>).
/// </summary>
public sealed class RunHistograms
{
    private sealed class Run
    {
        public readonly LongHistogram Histogram = LatencyHistograms.Create();
        public string Measurement = "";
        public IReadOnlyList<KeyValuePair<string, string>> Tags = [];
        public long Bytes;
    }

    private readonly Dictionary<SeriesKey, Run> _runs = new();
    private readonly List<SeriesSnapshot> _frozen = new();

    /// <summary>Series still open (with a histogram) and series frozen after their process exited.</summary>
    public int Count => _runs.Count + _frozen.Count;

    /// <summary>Adds one closed interval of one series. The tags are those last seen (a process renamed by exec).</summary>
    public void Add(in SeriesKey key, string measurement, IReadOnlyList<KeyValuePair<string, string>> tags, HistogramBase interval, long bytes)
    {
        if (!_runs.TryGetValue(key, out var run))
        {
            run = new Run();
            _runs.Add(key, run);
        }
        run.Histogram.Add(interval);
        run.Measurement = measurement;
        run.Tags = tags;
        run.Bytes += bytes;
    }

    /// <summary>
    /// The processes will see no more calls (they exited): the whole-run figures of their series are computed now
    /// and their histograms let go, so a long run over many short-lived processes holds histograms only for live ones.
    /// </summary>
    public void Freeze(IReadOnlySet<int> pids)
    {
        List<SeriesKey>? done = null;
        foreach (var key in _runs.Keys)
            if (pids.Contains(key.Pid))
                (done ??= new()).Add(key);
        if (done is null)
            return;
        foreach (var key in done)
        {
            _runs.Remove(key, out var run);
            if (run!.Histogram.TotalCount > 0)
                _frozen.Add(Summary(run));
        }
    }

    /// <summary>Whole-run statistics of every series that saw a call.</summary>
    public IReadOnlyList<SeriesSnapshot> Summarize() =>
        _frozen.Concat(_runs.Values.Where(r => r.Histogram.TotalCount > 0).Select(Summary)).ToList();

    private static SeriesSnapshot Summary(Run r) => new(r.Measurement, r.Tags, HistogramStats.Summarize(r.Histogram, r.Bytes));
}
