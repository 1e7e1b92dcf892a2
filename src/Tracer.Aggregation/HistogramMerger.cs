using System.Buffers.Binary;
using System.IO.Compression;
using HdrHistogram;

namespace Tracer.Aggregation;

/// <summary>
/// Adds encoded histograms into a sum without building a histogram per message: the counts of the compressed
/// V2 encoding are read straight into the sum. Encodings of another shape than the standard one are decoded by
/// HdrHistogram and added. Owned by one thread (it reuses one inflate buffer).
/// </summary>
public sealed class HistogramMerger
{
    private const int V2Cookie = 0x1c849313;
    private const int HeaderSize = 40;
    private const int SubBucketHalfCountMagnitude = 10;
    private const int SubBucketHalfCount = 1 << SubBucketHalfCountMagnitude;

    private readonly MemoryStream _inflated = new(4096);

    /// <summary>Adds the histogram in <paramref name="encoded"/> to <paramref name="sum"/>; returns its total count.</summary>
    /// <exception cref="FormatException">not a compressed V2 encoding, or damaged</exception>
    public long AddTo(byte[] encoded, HistogramBase sum)
    {
        if (encoded.Length < 8 || BinaryPrimitives.ReadInt32BigEndian(encoded) != LatencyHistograms.CompressedV2Cookie)
            throw new FormatException("not an HdrHistogram compressed V2 encoding");
        int length = BinaryPrimitives.ReadInt32BigEndian(encoded.AsSpan(4));
        if (length < 0 || length > encoded.Length - 8)
            throw new FormatException($"HdrHistogram encoding announces {length} bytes, holds {encoded.Length - 8}");
        _inflated.SetLength(0);
        try
        {
            using var z = new ZLibStream(new MemoryStream(encoded, 8, length), CompressionMode.Decompress);
            z.CopyTo(_inflated);
        }
        catch (InvalidDataException e)
        {
            throw new FormatException($"damaged HdrHistogram encoding: {e.Message}", e);
        }
        var data = _inflated.GetBuffer().AsSpan(0, (int)_inflated.Length);
        if (data.Length < HeaderSize || BinaryPrimitives.ReadInt32BigEndian(data) != V2Cookie)
            throw new FormatException("damaged HdrHistogram encoding: no V2 header inside");
        int payload = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
        int normalizing = BinaryPrimitives.ReadInt32BigEndian(data[8..]);
        int digits = BinaryPrimitives.ReadInt32BigEndian(data[12..]);
        long lowest = BinaryPrimitives.ReadInt64BigEndian(data[16..]);
        if (payload < 0 || payload > data.Length - HeaderSize)
            throw new FormatException("damaged HdrHistogram encoding: payload longer than the data");
        if (normalizing != 0 || digits != LatencyHistograms.SignificantDigits || lowest != LatencyHistograms.LowestNs)
        {
            // Value by value, clamped into the sum's range: another producer's shape may reach further.
            var other = LatencyHistograms.Decode(encoded);
            foreach (var v in other.RecordedValues())
                sum.RecordValueWithCount(LatencyHistograms.Clamp(v.ValueIteratedTo), v.CountAtValueIteratedTo);
            return other.TotalCount;
        }
        var counts = data.Slice(HeaderSize, payload);
        long total = 0;
        int index = 0, pos = 0;
        while (pos < counts.Length)
        {
            long v = ReadZigZag(counts, ref pos);
            if (v < 0)
            {
                index += checked((int)-v);
                continue;
            }
            if (v > 0)
            {
                sum.RecordValueWithCount(LatencyHistograms.Clamp(ValueAt(index)), v);
                total += v;
            }
            index++;
        }
        return total;
    }

    private static long ValueAt(int index)
    {
        int bucket = (index >> SubBucketHalfCountMagnitude) - 1;
        int subBucket = (index & (SubBucketHalfCount - 1)) + SubBucketHalfCount;
        if (bucket < 0)
        {
            subBucket -= SubBucketHalfCount;
            bucket = 0;
        }
        return (long)subBucket << bucket;
    }

    private static long ReadZigZag(ReadOnlySpan<byte> data, ref int pos)
    {
        ulong v = 0;
        int shift = 0;
        for (int i = 0; i < 9; i++)
        {
            if (pos >= data.Length)
                throw new FormatException("damaged HdrHistogram encoding: a count is cut short");
            byte b = data[pos++];
            if (i == 8)
            {
                v |= (ulong)b << 56;
                break;
            }
            v |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                break;
            shift += 7;
        }
        return (long)(v >> 1) ^ -(long)(v & 1);
    }
}
