using HdrHistogram;
using Tracer.Aggregation;

namespace Tracer.Aggregation.Tests;

/// <summary>The encoder's output is read by HdrHistogram's own decoder, count for count.</summary>
public class HistogramEncoderTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EncodedHistogramsDecodeToTheSameCounts(int seed)
    {
        var random = new Random(seed);
        var h = LatencyHistograms.Create();
        for (int i = 0; i < 20_000; i++)
        {
            // Latencies spread from 1 ns to 60 s, so every bucket range and long zero runs are exercised.
            long v = (long)Math.Pow(10, random.NextDouble() * 10.7);
            h.RecordValueWithCount(LatencyHistograms.Clamp(v), random.Next(1, 3) == 1 ? 1 : random.Next(1, 1_000_000));
        }
        h.RecordValue(LatencyHistograms.HighestNs);
        h.RecordValue(1);

        var encoder = new HistogramEncoder();
        var decoded = LatencyHistograms.Decode(encoder.Encode(h));
        Assert.Equal(h.TotalCount, decoded.TotalCount);
        Assert.Equal(Counts(h), Counts(decoded));
        // The encoder reuses its buffers: a second, different histogram is not polluted by the first.
        var small = LatencyHistograms.Create();
        small.RecordValue(12345);
        Assert.Equal(Counts(small), Counts(LatencyHistograms.Decode(encoder.Encode(small))));
    }

    [Fact]
    public void AnEmptyHistogramRoundTrips()
    {
        var decoded = LatencyHistograms.Decode(new HistogramEncoder().Encode(LatencyHistograms.Create()));
        Assert.Equal(0, decoded.TotalCount);
    }

    [Fact]
    public void TheLibrarysOwnEncodingHasTheSameCookie()
    {
        var h = LatencyHistograms.Create();
        h.RecordValue(1000);
        Assert.Equal(LatencyHistograms.Encode(h)[..4], new HistogramEncoder().Encode(h)[..4]);
    }

    [Fact]
    public void GarbageIsAFormatError()
    {
        Assert.Throws<FormatException>(() => LatencyHistograms.Decode([1, 2, 3]));
        var bytes = new HistogramEncoder().Encode(LatencyHistograms.Create());
        Assert.Throws<FormatException>(() => LatencyHistograms.Decode(bytes[..10]));
    }

    private static List<(long, long)> Counts(HistogramBase h) =>
        h.RecordedValues().Select(v => (v.ValueIteratedTo, v.CountAtValueIteratedTo)).ToList();
}

/// <summary>The merger reads encodings into a sum exactly as decoding and adding them would.</summary>
public class HistogramMergerTests
{
    [Fact]
    public void MergingEncodingsEqualsAddingTheDecodedHistograms()
    {
        var random = new Random(7);
        var merger = new HistogramMerger();
        var sum = LatencyHistograms.Create();
        var expected = LatencyHistograms.Create();
        var encoder = new HistogramEncoder();
        for (int n = 0; n < 20; n++)
        {
            var h = LatencyHistograms.Create();
            for (int i = 0; i < 2000; i++)
                h.RecordValue(LatencyHistograms.Clamp((long)Math.Pow(10, random.NextDouble() * 10.7)));
            var bytes = n % 2 == 0 ? encoder.Encode(h) : LatencyHistograms.Encode(h);
            Assert.Equal(h.TotalCount, merger.AddTo(bytes, sum));
            expected.Add(LatencyHistograms.Decode(bytes));
        }
        Assert.Equal(expected.TotalCount, sum.TotalCount);
        Assert.Equal(expected.RecordedValues().Select(v => (v.ValueIteratedTo, v.CountAtValueIteratedTo)),
            sum.RecordedValues().Select(v => (v.ValueIteratedTo, v.CountAtValueIteratedTo)));
    }

    [Fact]
    public void AnotherShapeIsDecodedAndAdded()
    {
        var h = new HdrHistogram.LongHistogram(1000, 3_600_000_000_000, 2);
        h.RecordValue(5_000_000);
        var sum = LatencyHistograms.Create();
        Assert.Equal(1, new HistogramMerger().AddTo(LatencyHistograms.Encode(h), sum));
        Assert.Equal(1, sum.TotalCount);
    }
}
