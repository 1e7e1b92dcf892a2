using Tracer.Core;

namespace Tracer.Alerts.Tests;

public sealed class AlertPointsTests
{
    private static AlertTransition Firing(string rule = "slow: p999 > 5ms for 2 intervals")
    {
        var engine = new AlertEngine([AlertRuleParser.Parse(rule)]);
        engine.Evaluate(Synthetic.At(0, Synthetic.Series(7_000_000)));
        return Assert.Single(engine.Evaluate(Synthetic.At(1, Synthetic.Series(8_000_000))));
    }

    [Fact]
    public void Point_HasSchemaTagsAndFields()
    {
        var p = AlertPoints.ToPoint(Firing());
        Assert.Equal("alert", p.Measurement);
        Assert.Equal(["allocator", "comm", "field", "op", "pid", "rule", "size_class", "source", "state"], p.Tags.Select(t => t.Key));
        Assert.Equal("firing", p.Tag("state"));
        Assert.Equal("slow", p.Tag("rule"));
        Assert.Equal("p999", p.Tag("field"));
        Assert.Equal("alloc_latency", p.Tag("source"));
        Assert.Equal(["value", "threshold", "intervals", "previous", "expr", "firing"], p.Fields.Select(f => f.Key));
        Assert.Equal(8_000_000, p.Field("value")!.Value.Integer);
        Assert.Equal(5_000_000, p.Field("threshold")!.Value.Integer);
        Assert.Equal(2, p.Field("intervals")!.Value.Integer);
        Assert.Equal("pending", p.Field("previous")!.Value.String);
        Assert.Equal("slow: p999 > 5ms for 2 intervals", p.Field("expr")!.Value.String);
        Assert.True(p.Field("firing")!.Value.Boolean);
    }

    [Fact]
    public void RelativeRule_AddsBaselineField()
    {
        var engine = new AlertEngine([AlertRuleParser.Parse("p999 > 2x baseline(2)")]);
        engine.Evaluate(Synthetic.At(0, Synthetic.Series(1_000_000)));
        var t = Assert.Single(engine.Evaluate(Synthetic.At(1, Synthetic.Series(3_000_000))));
        var p = AlertPoints.ToPoint(t);
        Assert.Equal(1_000_000, p.Field("baseline")!.Value.Integer);
        Assert.Equal(2_000_000, p.Field("threshold")!.Value.Integer);
    }

    [Fact]
    public void LogLine_IsOneReadableLine()
    {
        Assert.Equal("[ALERT] firing rule=\"slow\" alloc_latency allocator=glibc comm=demo op=malloc pid=42 size_class=64K: p999 8ms > 5ms for 2 intervals",
            AlertPoints.LogLine(Firing()));
    }

    [Fact]
    public async Task Stage_AddsPointsAndLogs_KeepsExistingEvents()
    {
        var log = new StringWriter();
        await using var stage = new AlertStage([AlertRuleParser.Parse("p999 > 5ms")], log);
        var existing = new EventPoint("alloc_spike", [], [new("x", 1L)]);
        var quiet = Synthetic.At(0, Synthetic.Series(1_000_000)) with { Events = [existing] };
        Assert.Same(quiet, stage.Apply(quiet));
        var slow = Synthetic.At(1, Synthetic.Series(9_000_000)) with { Events = [existing] };
        var result = stage.Apply(slow);
        Assert.Equal(["alloc_spike", "alert"], result.Events.Select(e => e.Measurement));
        Assert.Equal(slow.Series, result.Series);
        Assert.StartsWith("[ALERT] firing ", log.ToString());
        Assert.Single(log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
