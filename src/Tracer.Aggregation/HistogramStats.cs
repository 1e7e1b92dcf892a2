using HdrHistogram;
using Tracer.Core;

namespace Tracer.Aggregation;

/// <summary>An HDR histogram summarised as the latency fields every point carries.</summary>
public static class HistogramStats
{
    /// <summary>Percentiles in hundredths of a percent, in field order: p50, p90, p99, p99.9, p99.99.</summary>
    private static readonly int[] s_percentiles = [5000, 9000, 9900, 9990, 9999];

    /// <summary>
    /// Summarises a histogram in one pass. A percentile is the nearest-rank value: the smallest recorded value with
    /// at least p% of all values at or below it (rank ceil(p * N), in integers so 99.9% of 1000 is rank 999
    /// exactly), reported as the top of its bucket, as HdrHistogram reports values.
    /// </summary>
    public static LatencyStats Summarize(HistogramBase h, long bytes)
    {
        long count = h.TotalCount;
        if (count == 0)
            return new LatencyStats(0, bytes, 0, 0, 0, 0, 0, 0, 0, 0);
        var walk = new BucketWalk(count);
        foreach (var v in h.RecordedValues())
            walk.Add(h.LowestEquivalentValue(v.ValueIteratedTo), h.HighestEquivalentValue(v.ValueIteratedTo), v.CountAddedInThisIterationStep);
        return walk.Finish(bytes, (long)Math.Round(h.GetMean()));
    }

    /// <summary>
    /// The latency fields of buckets visited in ascending order, each with its lowest and highest value and its
    /// count (<paramref name="count"/> in all, more than 0): the one rank walk of a dense histogram
    /// (<see cref="Summarize"/>) and of a sparse one (<see cref="IntervalCounts"/>).
    /// </summary>
    internal struct BucketWalk(long count)
    {
        private Fields _values;
        private long _cumulative, _min = -1, _top;
        private int _next;

        [System.Runtime.CompilerServices.InlineArray(5)]
        private struct Fields
        {
            private long _first;
        }

        public void Add(long lowest, long highest, long n)
        {
            if (_min < 0)
                _min = lowest;
            _cumulative += n;
            _top = highest;
            while (_next < s_percentiles.Length && _cumulative >= Math.Max(1, (s_percentiles[_next] * count + 9999) / 10000))
                _values[_next++] = highest;
        }

        /// <summary>The fields, with the mean computed by the caller (over the buckets' middle values).</summary>
        public LatencyStats Finish(long bytes, long mean)
        {
            while (_next < s_percentiles.Length)
                _values[_next++] = _top;
            return new LatencyStats(count, bytes, Math.Max(_min, 0), mean, _values[0], _values[1], _values[2], _values[3], _values[4], _top);
        }
    }
}
