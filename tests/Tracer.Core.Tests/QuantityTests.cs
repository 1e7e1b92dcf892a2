using Tracer.Core;

namespace Tracer.Core.Tests;

/// <summary>The one grammar of durations and sizes that options, the config file and alert rules share.</summary>
public class QuantityTests
{
    [Theory]
    [InlineData("250ns", 250L)]
    [InlineData("500us", 500_000L)]
    [InlineData("500µs", 500_000L)]
    [InlineData("1.5ms", 1_500_000L)]
    [InlineData("2MS", 2_000_000L)]
    [InlineData("15s", 15_000_000_000L)]
    [InlineData("1.5", 1_500_000_000L)]
    [InlineData("2m", 120_000_000_000L)]
    [InlineData("1h", 3_600_000_000_000L)]
    [InlineData("1d", 86_400_000_000_000L)]
    [InlineData(" 5ms ", 5_000_000L)]
    [InlineData("0", 0L)]
    public void DurationsAreExactToTheNanosecond(string text, long ns) =>
        Assert.Equal(ns, Quantity.ParseDurationNs(text));

    [Theory]
    [InlineData("soon")]
    [InlineData("")]
    [InlineData("ms")]
    [InlineData("5 ms")]
    [InlineData("5parsecs")]
    [InlineData("-5ms")]
    [InlineData("1e3s")]
    [InlineData("5..ms")]
    public void MalformedDurationsAreRefused(string text) =>
        Assert.False(Quantity.TryParseDurationNs(text, out _));

    [Fact]
    public void ABareNumberIsSecondsUnlessAUnitIsRequired()
    {
        Assert.True(Quantity.TryParseDurationNs("5", out long ns));
        Assert.Equal(5_000_000_000L, ns);
        Assert.False(Quantity.TryParseDurationNs("5", out _, requireUnit: true));
        Assert.True(Quantity.TryParseDurationNs("5s", out _, requireUnit: true));
    }

    [Fact]
    public void TheMessageIsTheOneToShowAndNamesWhereTheTextCameFrom()
    {
        var e = Assert.Throws<FormatException>(() => Quantity.ParseDuration("soon", "--duration"));
        Assert.Equal("invalid duration 'soon' for --duration: expected e.g. 500us, 500ms, 15s, 2m, 1h", e.Message);
        e = Assert.Throws<FormatException>(() => Quantity.ParseSize("lots", "--output-max-size"));
        Assert.Equal("invalid size 'lots' for --output-max-size: expected a number with an optional unit K, M or G (e.g. 32K)", e.Message);
        e = Assert.Throws<FormatException>(() => Quantity.ParseSize("12Q"));
        Assert.Equal("invalid size '12Q': expected a number with an optional unit K, M or G (e.g. 32K)", e.Message);
    }

    [Fact]
    public void ATimeSpanIsRoundedToItsTicks()
    {
        Assert.Equal(TimeSpan.FromMicroseconds(500), Quantity.ParseDuration("500us"));
        Assert.Equal(TimeSpan.FromTicks(3), Quantity.ParseDuration("250ns"));
        Assert.Equal(TimeSpan.FromMinutes(2), Quantity.ParseDuration("2m"));
    }

    [Theory]
    [InlineData("4096", 4096UL)]
    [InlineData("4096B", 4096UL)]
    [InlineData("32K", 32UL << 10)]
    [InlineData("32k", 32UL << 10)]
    [InlineData("64KiB", 64UL << 10)]
    [InlineData("1M", 1UL << 20)]
    [InlineData("2GB", 2UL << 30)]
    [InlineData("1T", 1UL << 40)]
    public void SizesAreBinaryMultiples(string text, ulong bytes) =>
        Assert.Equal(bytes, Quantity.ParseSize(text));

    [Theory]
    [InlineData("12Q")]
    [InlineData("1.5M")]
    [InlineData("-1K")]
    [InlineData("K")]
    [InlineData("")]
    [InlineData("18446744073709551615K")]
    [InlineData("99999999999999999999")]
    public void MalformedOrOverflowingSizesAreRefused(string text) =>
        Assert.False(Quantity.TryParseSize(text, out _));

    [Theory]
    [InlineData(5_000_000L, "5ms")]
    [InlineData(1_500_000L, "1500us")]
    [InlineData(2_000_000_000L, "2s")]
    [InlineData(1_234L, "1234ns")]
    public void DurationsFormatExactlyAndParseBack(long ns, string text)
    {
        Assert.Equal(text, Quantity.FormatDuration(ns));
        Assert.Equal(ns, Quantity.ParseDurationNs(text, requireUnit: true));
    }
}
