namespace Tracer.Sinks.Tests;

public class HumanUnitsTests
{
    [Theory]
    [InlineData(0, "0ns")]
    [InlineData(999, "999ns")]
    [InlineData(1000, "1.00us")]
    [InlineData(6911, "6.91us")]
    [InlineData(12031, "12.0us")]
    [InlineData(123456, "123us")]
    [InlineData(999_499, "999us")]
    [InlineData(999_500, "1.00ms")]
    [InlineData(4_560_000, "4.56ms")]
    [InlineData(999_500_000, "1.00s")]
    [InlineData(1_200_000_000, "1.20s")]
    [InlineData(75_000_000_000, "75.0s")]
    public void Latency_HasThreeSignificantDigitsAndAUnit(long ns, string expected)
    {
        Assert.Equal(expected, HumanUnits.Latency(ns));
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(5120.4, "5120")]
    [InlineData(999_999, "999999")]
    [InlineData(1_234_567, "1.23M")]
    [InlineData(45_000_000_000, "45.0G")]
    public void Count_IsAbbreviatedOnlyWhenLarge(double n, string expected)
    {
        Assert.Equal(expected, HumanUnits.Count(n));
    }

    [Theory]
    [InlineData(512, "512B")]
    [InlineData(65536, "64K")]
    [InlineData(1572864, "1.50M")]
    [InlineData(268435456, "256M")]
    [InlineData(2147483648, "2G")]
    [InlineData(40000, "39.1K")]
    public void Bytes_AreBinaryUnits(long bytes, string expected) => Assert.Equal(expected, HumanUnits.Bytes(bytes));

    [Theory]
    [InlineData(249_775_377, "250 ms")]
    [InlineData(850, "850 ns")]
    [InlineData(12_300, "12.3 us")]
    [InlineData(1_200_000_000, "1.20 s")]
    public void LatencyWords_HaveASpaceBeforeTheUnit(long ns, string expected) => Assert.Equal(expected, HumanUnits.LatencyWords(ns));
}
