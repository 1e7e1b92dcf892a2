using System.Buffers.Binary;
using System.IO.Compression;
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

    /// <summary>
    /// Decodes HdrHistogram's compressed V2 format (any shape); <see cref="FormatException"/> for anything else.
    /// The payload is inflated here in full: the library's own compressed decoder reads its inflater once and
    /// fails on encodings whose payload does not come out of a single read.
    /// </summary>
    public static HistogramBase Decode(byte[] encoded)
    {
        if (encoded.Length < 8 || BinaryPrimitives.ReadInt32BigEndian(encoded) != CompressedV2Cookie)
            throw new FormatException("not an HdrHistogram compressed V2 encoding");
        int length = BinaryPrimitives.ReadInt32BigEndian(encoded.AsSpan(4));
        if (length < 0 || length > encoded.Length - 8)
            throw new FormatException($"HdrHistogram encoding announces {length} bytes, holds {encoded.Length - 8}");
        try
        {
            using var inflated = new MemoryStream();
            using (var z = new ZLibStream(new MemoryStream(encoded, 8, length), CompressionMode.Decompress))
                z.CopyTo(inflated);
            return HistogramEncoding.DecodeFromByteBuffer(ByteBuffer.Allocate(inflated.ToArray()), HighestNs, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not FormatException)
        {
            throw new FormatException($"damaged HdrHistogram encoding: {e.Message}", e);
        }
    }

    /// <summary>First four bytes of a compressed V2 encoding.</summary>
    public const int CompressedV2Cookie = 0x1c849314;

    /// <summary>Adds every histogram into a new one of the standard shape.</summary>
    public static LongHistogram Merge(IEnumerable<HistogramBase> histograms)
    {
        var sum = Create();
        foreach (var h in histograms)
            sum.Add(h);
        return sum;
    }
}
