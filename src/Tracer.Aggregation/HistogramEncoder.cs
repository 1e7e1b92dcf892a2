using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using HdrHistogram;

namespace Tracer.Aggregation;

/// <summary>
/// Encodes interval histograms in HdrHistogram's compressed V2 format (what every HDR implementation reads, and
/// what <see cref="LatencyHistograms.Decode"/> reads back) without the per-call buffers the library allocates:
/// only the recorded values are visited and one scratch buffer is reused. Owned by one thread.
/// </summary>
/// <remarks>
/// Layout: a compressed header (cookie <c>0x1c849314</c>, length of what follows) and the zlib-compressed V2
/// payload: cookie <c>0x1c849313</c>, payload length, normalizing index offset (0), significant digits,
/// lowest and highest trackable value, integer-to-double ratio (1.0), then the counts from index 0 to that of
/// the largest value as ZigZag LEB128 numbers, a run of N empty buckets written as -N. All big-endian.
/// </remarks>
public sealed class HistogramEncoder
{
    private const int V2Cookie = 0x1c849303 | 0x10;
    private const int V2CompressedCookie = 0x1c849304 | 0x10;
    private const int HeaderSize = 40;

    // The bucket layout of LatencyHistograms' shape (lowest 1, 3 significant digits): unit magnitude 0.
    private const int SubBucketHalfCountMagnitude = 10;
    private const int SubBucketHalfCount = 1 << SubBucketHalfCountMagnitude;
    private const long SubBucketMask = (1L << (SubBucketHalfCountMagnitude + 1)) - 1;
    private const int LeadingZeroCountBase = 64 - SubBucketHalfCountMagnitude - 1;

    private readonly MemoryStream _payload = new(4096);
    private readonly MemoryStream _compressed = new(4096);

    /// <summary>The compressed encoding of <paramref name="histogram"/>, which must have the standard shape.</summary>
    public byte[] Encode(HistogramBase histogram)
    {
        if (histogram.LowestTrackableValue != LatencyHistograms.LowestNs || histogram.NumberOfSignificantValueDigits != LatencyHistograms.SignificantDigits)
            throw new ArgumentException("only histograms of the standard shape (LatencyHistograms.Create) are encoded here", nameof(histogram));
        _payload.SetLength(0);
        Span<byte> header = stackalloc byte[HeaderSize];
        _payload.Write(header);
        int next = 0;
        Span<byte> scratch = stackalloc byte[9];
        foreach (var v in histogram.RecordedValues())
        {
            int index = IndexOf(v.ValueIteratedTo);
            if (index > next)
                _payload.Write(scratch[..PutZigZag(scratch, -(long)(index - next))]);
            _payload.Write(scratch[..PutZigZag(scratch, v.CountAtValueIteratedTo)]);
            next = index + 1;
        }
        var buffer = _payload.GetBuffer();
        int payloadLength = (int)_payload.Length - HeaderSize;
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(0), V2Cookie);
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(4), payloadLength);
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(8), 0);
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(12), histogram.NumberOfSignificantValueDigits);
        BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(16), histogram.LowestTrackableValue);
        BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(24), histogram.HighestTrackableValue);
        BinaryPrimitives.WriteDoubleBigEndian(buffer.AsSpan(32), 1.0);

        _compressed.SetLength(0);
        _compressed.Write(stackalloc byte[8]);
        using (var z = new ZLibStream(_compressed, CompressionLevel.Fastest, leaveOpen: true))
            z.Write(buffer, 0, (int)_payload.Length);
        var result = _compressed.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(0), V2CompressedCookie);
        BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(4), result.Length - 8);
        return result;
    }

    private static int IndexOf(long value)
    {
        int bucket = LeadingZeroCountBase - BitOperations.LeadingZeroCount((ulong)(value | SubBucketMask));
        int subBucket = (int)(value >> bucket);
        return ((bucket + 1) << SubBucketHalfCountMagnitude) + (subBucket - SubBucketHalfCount);
    }

    /// <summary>ZigZag, then 7 bits per byte low first; the ninth byte carries the last 8 bits whole.</summary>
    private static int PutZigZag(Span<byte> into, long value)
    {
        ulong v = (ulong)((value << 1) ^ (value >> 63));
        int n = 0;
        while (n < 8 && v >= 0x80)
        {
            into[n++] = (byte)(v | 0x80);
            v >>= 7;
        }
        into[n++] = (byte)v;
        return n;
    }
}
