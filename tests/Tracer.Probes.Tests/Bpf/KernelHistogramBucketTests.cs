using Tracer.Aggregation;
using Tracer.Core;

namespace Tracer.Probes.Tests.Bpf;

/// <summary>
/// The kernel's histogram buckets against the exact latencies they stand for: for known distributions, the figures
/// of a series filled from the buckets (through <see cref="IAllocationRecorder.RecordMany"/>, as the kernel's are)
/// are those of the same series filled value by value, and every percentile is within 0.1 % of the exact one.
/// </summary>
public class KernelHistogramBucketTests
{
    private static readonly SeriesKey s_key = new(1, Allocators.Glibc, AllocOp.Malloc, 20);
    private static readonly byte[] s_comm = "bench"u8.ToArray();

    public static TheoryData<string> Distributions => ["uniform", "lognormal", "bimodal", "constant", "below-2048", "octave-edges", "beyond-60s"];

    [Theory]
    [MemberData(nameof(Distributions))]
    public void FiguresFromTheBucketsAreThoseOfTheExactValuesAndPercentilesWithin0Point1Percent(string distribution)
    {
        long[] values = Generate(distribution);
        var exact = new SeriesTable();
        var buckets = new Dictionary<uint, long>();
        foreach (long v in values)
        {
            exact.Record(s_key, 4096, v, s_comm);
            uint b = KernelHistograms.BucketOf(v);
            buckets[b] = buckets.GetValueOrDefault(b) + 1;
        }
        var kernel = new SeriesTable();
        bool first = true;
        foreach (var (bucket, count) in buckets)
        {
            kernel.RecordMany(s_key, first ? 4096UL * (ulong)values.Length : 0, KernelHistograms.LowestValue(bucket), count, s_comm);
            first = false;
        }

        var e = Assert.Single(exact.TakeSnapshot()).Stats;
        var k = Assert.Single(kernel.TakeSnapshot()).Stats;
        // The buckets are HdrHistogram's own: every figure is the one the exact values give.
        Assert.Equal(e, k);
        Assert.Equal(values.Length, k.Count);
        Assert.Equal(4096L * values.Length, k.Bytes);

        // And each percentile is within 0.1 % of the exact nearest-rank value.
        long[] sorted = values.Select(LatencyHistograms.Clamp).Order().ToArray();
        foreach (var (permyriad, got) in new[] { (5000, k.P50), (9000, k.P90), (9900, k.P99), (9990, k.P999), (9999, k.P9999), (10000, k.Max) })
        {
            long rank = Math.Max(1, (permyriad * (long)sorted.Length + 9999) / 10000);
            long truth = sorted[rank - 1];
            Assert.True(Math.Abs(got - truth) <= truth * 0.001, $"{distribution} p{permyriad / 100.0}: {got} from the buckets, {truth} exact");
        }
    }

    [Fact]
    public void EveryBucketsLowestValueIsInThatBucket()
    {
        for (uint b = 0; b <= KernelHistograms.BucketOf(LatencyHistograms.HighestNs); b++)
        {
            long low = KernelHistograms.LowestValue(b);
            Assert.Equal(b, KernelHistograms.BucketOf(low));
            if (b > 0)
                Assert.Equal(b - 1, KernelHistograms.BucketOf(low - 1));
        }
    }

    private static long[] Generate(string distribution)
    {
        var r = new Random(12);
        const int N = 200_000;
        return distribution switch
        {
            "uniform" => Enumerable.Range(0, N).Select(_ => r.NextInt64(100, 10_000_000)).ToArray(),
            // Allocation latencies are roughly log-normal: a median of 20 us with a long tail.
            "lognormal" => Enumerable.Range(0, N).Select(_ => (long)Math.Exp(Math.Log(20_000) + 1.5 * Gaussian(r))).ToArray(),
            // Most calls from the heap, one in a hundred populating fresh pages.
            "bimodal" => Enumerable.Range(0, N).Select(i => i % 100 == 0 ? r.NextInt64(4_000_000, 6_000_000) : r.NextInt64(2_800, 3_200)).ToArray(),
            "constant" => Enumerable.Repeat(2_000_000L, N).ToArray(),
            "below-2048" => Enumerable.Range(0, N).Select(_ => r.NextInt64(0, 2048)).ToArray(),
            // Values next to every power of two, where the bucket width doubles.
            "octave-edges" => Enumerable.Range(0, N).Select(i => (1L << (11 + i % 25)) + (i % 3) - 1).ToArray(),
            "beyond-60s" => Enumerable.Range(0, N).Select(i => i % 10 == 0 ? 90_000_000_000L : r.NextInt64(1_000, 1_000_000)).ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(distribution)),
        };
    }

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
}
