using HdrHistogram;
using Tracer.Core;

namespace Tracer.Aggregation;

/// <summary>
/// One histogram per series for the whole run, the sum of that series' interval histograms, kept as the buckets it
/// fills (<see cref="SparseCounts"/>: a few hundred bytes for most series, not 220 KB). Filled by the
/// <see cref="SeriesTable"/> on the polling thread as each interval closes, and read once the polling has ended
/// (or from the thread that received the last snapshot, which the channel orders after the last merge).
/// Series are kept for the whole run, also after the table forgets them for being idle; those of processes that
/// exited keep their figures, not their histograms (<see cref="Freeze"/>), and of those only the slowest
/// <see cref="MaxExitedSeries"/> are listed: a run over days of short-lived processes holds memory for the live
/// ones and a bounded list, and counts the series it no longer lists.
/// </summary>
public sealed class RunHistograms
{
    private sealed class Run
    {
        public readonly SparseCounts Counts = new();
        public string Measurement = "";
        public IReadOnlyList<KeyValuePair<string, string>> Tags = [];
        public long Bytes;
    }

    private readonly Dictionary<SeriesKey, Run> _runs = new();
    private readonly List<SeriesSnapshot> _frozen = new();

    /// <param name="maxExitedSeries">series of exited processes listed at most (the slowest by p99.9 are kept)</param>
    /// <param name="pool">where histograms come from and go back to (shared with the <see cref="SeriesTable"/>; the
    /// run borrows one only to summarise a series)</param>
    public RunHistograms(int maxExitedSeries = 4096, HistogramPool? pool = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxExitedSeries);
        MaxExitedSeries = maxExitedSeries;
        Pool = pool ?? new HistogramPool();
    }

    public int MaxExitedSeries { get; }

    public HistogramPool Pool { get; }

    /// <summary>Series still open (with a histogram) and series frozen after their process exited.</summary>
    public int Count => _runs.Count + _frozen.Count;

    /// <summary>Series of exited processes no longer listed, being faster than the <see cref="MaxExitedSeries"/> kept.</summary>
    public long OmittedSeries { get; private set; }

    /// <summary>Adds one closed interval of one series. The tags are those last seen (a process renamed by exec).</summary>
    public void Add(in SeriesKey key, string measurement, IReadOnlyList<KeyValuePair<string, string>> tags, HistogramBase interval, long bytes) =>
        Open(key, measurement, tags, bytes).Counts.Add(interval);

    /// <summary>Adds one closed interval of one series, from the table's own counts.</summary>
    internal void Add(in SeriesKey key, string measurement, IReadOnlyList<KeyValuePair<string, string>> tags, IntervalCounts interval, long bytes) =>
        interval.AddTo(Open(key, measurement, tags, bytes).Counts);

    private Run Open(in SeriesKey key, string measurement, IReadOnlyList<KeyValuePair<string, string>> tags, long bytes)
    {
        if (!_runs.TryGetValue(key, out var run))
        {
            run = new Run();
            _runs.Add(key, run);
        }
        run.Measurement = measurement;
        run.Tags = tags;
        run.Bytes += bytes;
        return run;
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
            if (run!.Counts.TotalCount > 0)
                _frozen.Add(Summary(run));
        }
        // Trimmed a quarter over the bound: the list stays within 1.25 times the series listed.
        if (_frozen.Count > MaxExitedSeries + MaxExitedSeries / 4)
            TrimFrozen();
    }

    private void TrimFrozen()
    {
        if (_frozen.Count <= MaxExitedSeries)
            return;
        // Slowest first; the order is total, so which series are kept does not depend on when they exited.
        _frozen.Sort((a, b) => b.Stats.P999 != a.Stats.P999 ? b.Stats.P999.CompareTo(a.Stats.P999) : b.Stats.Max.CompareTo(a.Stats.Max));
        OmittedSeries += _frozen.Count - MaxExitedSeries;
        _frozen.RemoveRange(MaxExitedSeries, _frozen.Count - MaxExitedSeries);
    }

    /// <summary>Whole-run statistics of every series that saw a call.</summary>
    public IReadOnlyList<SeriesSnapshot> Summarize()
    {
        TrimFrozen();
        return _frozen.Concat(_runs.Values.Where(r => r.Counts.TotalCount > 0).Select(Summary)).ToList();
    }

    private SeriesSnapshot Summary(Run r)
    {
        var dense = Pool.Rent();
        try
        {
            r.Counts.CopyTo(dense);
            return new SeriesSnapshot(r.Measurement, r.Tags, HistogramStats.Summarize(dense, r.Bytes));
        }
        finally
        {
            Pool.Return(dense);
        }
    }
}
