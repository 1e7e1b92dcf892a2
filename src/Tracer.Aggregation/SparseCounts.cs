using HdrHistogram;

namespace Tracer.Aggregation;

/// <summary>
/// A whole-run histogram kept as the buckets it has counts in: a value that stands for each bucket, and its count.
/// A dense histogram of the standard shape is 220 KB whatever it holds; most series fill a few dozen buckets, so the
/// run keeps a series for a few hundred bytes. Filling a dense histogram back from these pairs gives the same
/// histogram, bucket for bucket, so the run's percentiles are exact.
/// </summary>
internal sealed class SparseCounts
{
    private readonly Dictionary<long, long> _counts = new();

    public long TotalCount { get; private set; }

    /// <summary>Adds every bucket of an interval histogram.</summary>
    public void Add(HistogramBase interval)
    {
        if (interval.TotalCount == 0)
            return;
        foreach (var v in interval.RecordedValues())
        {
            Add(v.ValueIteratedTo, v.CountAtValueIteratedTo);
        }
    }

    /// <summary>Adds <paramref name="count"/> calls of the bucket whose top is <paramref name="value"/>.</summary>
    public void Add(long value, long count)
    {
        _counts[value] = _counts.TryGetValue(value, out long had) ? had + count : count;
        TotalCount += count;
    }

    /// <summary>Fills <paramref name="dense"/> (empty, of the standard shape) with these counts.</summary>
    public void CopyTo(LongHistogram dense)
    {
        foreach (var (value, count) in _counts)
            dense.RecordValueWithCount(value, count);
    }
}
