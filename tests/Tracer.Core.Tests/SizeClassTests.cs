using Tracer.Core;

namespace Tracer.Core.Tests;

/// <summary>Size classes are power-of-two lower bounds, labelled in binary units.</summary>
public class SizeClassTests
{
    [Theory]
    [InlineData(0UL, "1B")]
    [InlineData(1UL, "1B")]
    [InlineData(2UL, "2B")]
    [InlineData(4095UL, "2K")]
    [InlineData(4096UL, "4K")]
    [InlineData(40 * 1024UL, "32K")]
    [InlineData(64 * 1024UL, "64K")]
    [InlineData((1UL << 20) - 1, "512K")]
    [InlineData(1UL << 20, "1M")]
    [InlineData(3UL << 30, "2G")]
    [InlineData(ulong.MaxValue, "8E")]
    public void AClassIsTheLargestPowerOfTwoAtOrBelowTheSize(ulong bytes, string label) =>
        Assert.Equal(label, SizeClass.Label(SizeClass.Of(bytes)));

    [Fact]
    public void EveryExponentHasItsOwnLabel() =>
        Assert.Equal(64, Enumerable.Range(0, 64).Select(e => SizeClass.Label((byte)e)).Distinct().Count());
}
