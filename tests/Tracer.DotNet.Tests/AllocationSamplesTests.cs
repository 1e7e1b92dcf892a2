using Tracer.DotNet;

namespace Tracer.DotNet.Tests;

public class AllocationSamplesTests
{
    [Fact]
    public void SizesAreExactNearestRankAndTypesAreRankedByBytes()
    {
        var s = new AllocationSamples();
        for (int i = 1; i <= 100; i++)
            s.Add(42, "svc", AllocationKind.Large, 100_000 + i, 90_000 + i, i % 3 == 0 ? "System.String" : "System.Byte[]");
        s.Add(42, "svc", AllocationKind.Pinned, 120_000, 110_000, "System.Byte[]");
        s.Add(42, "svc", AllocationKind.Small, 120_000, 64, "System.Object");

        var points = s.Take(2.0);
        Assert.Equal(2, points.Count);
        var large = points[0];
        Assert.Equal("dotnet_alloc_sample", large.Measurement);
        Assert.Equal("large", large.Tag("kind"));
        Assert.Equal(100, large.Field("samples")!.Value.Integer);
        long bytes = Enumerable.Range(1, 100).Sum(i => 100_000L + i);
        Assert.Equal(bytes, large.Field("bytes")!.Value.Integer);
        Assert.Equal(bytes / 2, large.Field("bytes_per_s")!.Value.Integer);
        Assert.Equal(90_001, large.Field("size_min")!.Value.Integer);
        Assert.Equal(90_050, large.Field("size_p50")!.Value.Integer);
        Assert.Equal(90_099, large.Field("size_p99")!.Value.Integer);
        Assert.Equal(90_100, large.Field("size_max")!.Value.Integer);
        long strings = Enumerable.Range(1, 100).Where(i => i % 3 == 0).Sum(i => 100_000L + i);
        Assert.Equal($"System.Byte[]:{bytes - strings};System.String:{strings}", large.Field("top_types")!.Value.String);
        Assert.Equal("pinned", points[1].Tag("kind"));

        Assert.Empty(s.Take(1.0));
    }
}
