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
