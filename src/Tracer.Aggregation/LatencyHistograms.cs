using HdrHistogram;
using HdrHistogram.Utilities;

namespace Tracer.Aggregation;

/// <summary>
/// The one histogram shape every part of alloclat agrees on, so histograms from any host can be merged:
/// 1 ns to 60 s, 3 significant digits.
/// </summary>
public static class LatencyHistograms
{
    public const long LowestNs = 1;
    public const long HighestNs = 60_000_000_000;
    public const int SignificantDigits = 3;

    public static LongHistogram Create() => new(LowestNs, HighestNs, SignificantDigits);

    /// <summary>Latencies beyond the range are clamped to its top rather than lost.</summary>
    public static long Clamp(long ns) => ns < 0 ? 0 : ns > HighestNs ? HighestNs : ns;

    /// <summary>Encodes in HdrHistogram's compressed V2 format (what other HDR implementations read).</summary>
    public static byte[] Encode(HistogramBase histogram)
    {
        var buffer = ByteBuffer.Allocate(histogram.GetNeededByteBufferCapacity());
        int length = HistogramEncoding.EncodeIntoCompressedByteBuffer(histogram, buffer);
        var bytes = new byte[length];
        buffer.Position = 0;
        for (int i = 0; i < length; i++)
            bytes[i] = buffer.Get();
        return bytes;
    }

    public static HistogramBase Decode(byte[] encoded)
        => HistogramEncoding.DecodeFromCompressedByteBuffer(ByteBuffer.Allocate(encoded), HighestNs);

    /// <summary>Adds every histogram into a new one of the standard shape.</summary>
    public static LongHistogram Merge(IEnumerable<HistogramBase> histograms)
    {
        var sum = Create();
        foreach (var h in histograms)
            sum.Add(h);
        return sum;
    }
}
