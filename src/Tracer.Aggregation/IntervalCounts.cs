using HdrHistogram;
using Tracer.Core;

namespace Tracer.Aggregation;

/// <summary>
/// One series' histogram for the interval being recorded. A dense histogram of the standard shape is 220 KB whatever
/// it holds, and most series of a busy host (short-lived processes, a few mmaps of one size class) fill a handful of
/// buckets in an interval. So the counts are kept as buckets and counts while there are at most
/// <see cref="SparseLimit"/> buckets, and only a series that fills more takes a dense histogram from the pool (and
/// keeps it while it has calls). Both forms give the same figures, bucket for bucket: a value stands for its
/// bucket, as in HdrHistogram. Owned by the polling thread.
/// </summary>
internal sealed class IntervalCounts
{
    /// <summary>Buckets kept as pairs; the next one makes the counts dense.</summary>
    public const int SparseLimit = 48;

    // The standard shape, asked for bucket boundaries only (pure functions of the value).
    private static readonly LongHistogram s_shape = LatencyHistograms.Create();

    private long[] _lowest = new long[4];
    private long[] _counts = new long[4];
    private int _buckets;
    private LongHistogram? _dense;

    public long TotalCount { get; private set; }

    /// <summary>Whether the counts are held in a dense histogram (more than <see cref="SparseLimit"/> buckets were filled).</summary>
    public bool IsDense => _dense is not null;

    /// <summary>Adds <paramref name="count"/> calls of <paramref name="value"/> ns (within the shape's range).</summary>
    public void Record(long value, long count, HistogramPool pool)
    {
        TotalCount += count;
        if (_dense is not null)
        {
            _dense.RecordValueWithCount(value, count);
            return;
        }
        long lowest = s_shape.LowestEquivalentValue(value);
        for (int i = 0; i < _buckets; i++)
            if (_lowest[i] == lowest)
            {
                _counts[i] += count;
                return;
            }
        if (_buckets == SparseLimit)
        {
            _dense = pool.Rent();
            for (int i = 0; i < _buckets; i++)
                _dense.RecordValueWithCount(_lowest[i], _counts[i]);
            _buckets = 0;
            _dense.RecordValueWithCount(value, count);
            return;
        }
        if (_buckets == _lowest.Length)
        {
            Array.Resize(ref _lowest, _buckets * 2);
            Array.Resize(ref _counts, _buckets * 2);
        }
        _lowest[_buckets] = lowest;
        _counts[_buckets++] = count;
    }

    /// <summary>
    /// The interval's latency fields, as <see cref="HistogramStats.Summarize"/> gives them for a dense histogram of
    /// the same counts: nearest-rank percentiles reported as the top of their bucket, the minimum as the bottom of its
    /// bucket, the mean of the buckets' middle values.
    /// </summary>
    public LatencyStats Summarize(long bytes)
    {
        if (_dense is not null)
            return HistogramStats.Summarize(_dense, bytes);
        if (TotalCount == 0)
            return HistogramStats.Summarize(s_shape, bytes);
        Sort();
        var walk = new HistogramStats.BucketWalk(TotalCount);
        double total = 0;
        for (int i = 0; i < _buckets; i++)
        {
            total += (double)s_shape.MedianEquivalentValue(_lowest[i]) * _counts[i];
            walk.Add(_lowest[i], s_shape.HighestEquivalentValue(_lowest[i]), _counts[i]);
        }
        return walk.Finish(bytes, (long)Math.Round(total / TotalCount));
    }

    /// <summary>Adds these counts to a whole-run histogram.</summary>
    public void AddTo(SparseCounts run)
    {
        if (_dense is not null)
        {
            run.Add(_dense);
            return;
        }
        for (int i = 0; i < _buckets; i++)
            run.Add(s_shape.HighestEquivalentValue(_lowest[i]), _counts[i]);
    }

    /// <summary>The counts in HdrHistogram's compressed V2 encoding (a dense histogram is borrowed for it when sparse).</summary>
    public byte[] Encode(HistogramEncoder encoder, HistogramPool pool)
    {
        if (_dense is not null)
            return encoder.Encode(_dense);
        var scratch = pool.Rent();
        try
        {
            for (int i = 0; i < _buckets; i++)
                scratch.RecordValueWithCount(_lowest[i], _counts[i]);
            return encoder.Encode(scratch);
        }
        finally
        {
            pool.Return(scratch);
        }
    }

    /// <summary>Empties the counts for the next interval; a dense histogram is kept (the series is a busy one).</summary>
    public void Reset()
    {
        _dense?.Reset();
        _buckets = 0;
        TotalCount = 0;
    }

    /// <summary>Empties the counts and gives a dense histogram back to the pool.</summary>
    public void Release(HistogramPool pool)
    {
        if (_dense is not null)
        {
            pool.Return(_dense);
            _dense = null;
        }
        _buckets = 0;
        TotalCount = 0;
    }

    // Insertion sort by bucket: at most SparseLimit entries, usually a few, often already in order.
    private void Sort()
    {
        for (int i = 1; i < _buckets; i++)
        {
            long v = _lowest[i], c = _counts[i];
            int j = i - 1;
            for (; j >= 0 && _lowest[j] > v; j--)
            {
                _lowest[j + 1] = _lowest[j];
                _counts[j + 1] = _counts[j];
            }
            _lowest[j + 1] = v;
            _counts[j + 1] = c;
        }
    }
}
