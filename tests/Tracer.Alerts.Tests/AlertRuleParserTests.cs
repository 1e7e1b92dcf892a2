using Tracer.Alerts;
using Tracer.Core;

namespace Tracer.Alerts.Tests;

public sealed class AlertRuleParserTests
{
    [Fact]
    public void AbsoluteRule_WithFor()
    {
        var r = AlertRuleParser.Parse("p999 > 5ms for 3 intervals");
        Assert.Equal(LatencyField.P999, r.Field);
        Assert.Equal(5_000_000, r.AbsoluteNs);
        Assert.Null(r.Factor);
        Assert.Equal(3, r.ForIntervals);
        Assert.Equal(AlertRule.DefaultResolveAfter, r.ResolveAfter);
        Assert.Equal("p999 > 5ms for 3 intervals", r.Name);
        Assert.Empty(r.Filters);
    }

    [Fact]
    public void RelativeRule_NameWindowResolveAndFilters()
    {
        var r = AlertRuleParser.Parse("  mmap-spike:   p99.9>4.5x baseline(20) for 2 intervals resolve after 5 intervals where op=mmap and comm!=java ");
        Assert.Equal("mmap-spike", r.Name);
        Assert.Equal("mmap-spike: p99.9>4.5x baseline(20) for 2 intervals resolve after 5 intervals where op=mmap and comm!=java", r.Expression);
        Assert.Equal(LatencyField.P999, r.Field);
        Assert.Null(r.AbsoluteNs);
        Assert.Equal(4.5, r.Factor);
        Assert.Equal(20, r.BaselineIntervals);
        Assert.Equal(10, r.BaselineMinSamples);
        Assert.Equal(2, r.ForIntervals);
        Assert.Equal(5, r.ResolveAfter);
        Assert.Equal([new AlertFilter("op", "mmap", false), new AlertFilter("comm", "java", true)], r.Filters);
    }

    [Theory]
    [InlineData("p99 > 800us", LatencyField.P99, 800_000L)]
    [InlineData("max > 1.5s", LatencyField.Max, 1_500_000_000L)]
    [InlineData("mean > 250ns for 1 interval", LatencyField.Mean, 250L)]
    [InlineData("P9999 > 2MS", LatencyField.P9999, 2_000_000L)]
    public void Fields_AndUnits(string text, LatencyField field, long ns)
    {
        var r = AlertRuleParser.Parse(text);
        Assert.Equal(field, r.Field);
        Assert.Equal(ns, r.AbsoluteNs);
    }

    [Fact]
    public void BareBaseline_HasDefaultWindow_AndCommaFilters()
    {
        var r = AlertRuleParser.Parse("p999 > 4x baseline op=mmap,measurement=alloc_latency");
        Assert.Equal(4, r.Factor);
        Assert.Equal(AlertRule.DefaultBaselineIntervals, r.BaselineIntervals);
        Assert.Equal([new AlertFilter("op", "mmap", false), new AlertFilter("measurement", "alloc_latency", false)], r.Filters);
    }

    [Theory]
    [InlineData("", "empty alert rule")]
    [InlineData("p999 5ms", "expected FIELD > THRESHOLD")]
    [InlineData("p42 > 5ms", "unknown field 'p42'")]
    [InlineData("p999 >", "missing threshold")]
    [InlineData("p999 > 5 ms", "invalid threshold '5'")]
    [InlineData("p999 > 5parsecs", "invalid threshold '5parsecs'")]
    [InlineData("p999 > 4x", "expected 'baseline' or 'baseline(N)'")]
    [InlineData("p999 > 4x median", "expected 'baseline' or 'baseline(N)'")]
    [InlineData("p999 > 4x baseline(0)", "baseline window must be 1")]
    [InlineData("p999 > 5ms for", "expected 'for N intervals'")]
    [InlineData("p999 > 5ms for 0 intervals", "expected 'for N intervals'")]
    [InlineData("p999 > 5ms for three intervals", "expected 'for N intervals'")]
    [InlineData("p999 > 5ms resolve 3", "expected 'resolve after K intervals'")]
    [InlineData("p999 > 5ms op", "unexpected 'op'")]
    [InlineData("p999 > 5ms op=", "unexpected 'op='")]
    [InlineData(": p999 > 5ms", "empty name")]
    public void Malformed_SaysWhy(string text, string expected)
    {
        var e = Assert.Throws<AlertRuleException>(() => AlertRuleParser.Parse(text));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void File_SkipsCommentsAndBlankLines_AndNamesTheBadLine()
    {
        var rules = AlertRuleParser.ParseFile("rules.txt", ["# latency rules", "", "p999 > 5ms for 3 intervals  # hard limit", "   ", "p999 > 4x baseline"]);
        Assert.Equal(2, rules.Count);
        Assert.Equal("p999 > 5ms for 3 intervals", rules[0].Expression);
        Assert.True(rules[1].IsRelative);

        var e = Assert.Throws<AlertRuleException>(() => AlertRuleParser.ParseFile("rules.txt", ["# ok", "p999 > 5ms", "p999 > fast"]));
        Assert.StartsWith("rules.txt line 3: ", e.Message);
        Assert.Contains("'fast'", e.Message);
    }

    [Theory]
    [InlineData(5_000_000L, "5ms")]
    [InlineData(1_500_000L, "1500us")]
    [InlineData(2_000_000_000L, "2s")]
    [InlineData(1_234L, "1234ns")]
    public void Durations_FormatExactly(long ns, string text)
    {
        Assert.Equal(text, Quantity.FormatDuration(ns));
        Assert.True(Quantity.TryParseDurationNs(text, out long back, requireUnit: true));
        Assert.Equal(ns, back);
    }
}
