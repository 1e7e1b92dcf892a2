using Tracer.Core;

namespace Tracer.Alerts.Tests;

public sealed class AlertEngineTests
{
    private const string Rule = "p999 > 5ms for 3 intervals";

    [Fact]
    public void Steady_StaysQuiet()
    {
        Assert.Empty(Synthetic.Run(Rule, 1, 2, 4.9, 5, 1, 3, 2, 4, 1, 1));
    }

    [Fact]
    public void Step_GoesPendingFiringResolved()
    {
        Assert.Equal(["2:pending", "4:firing", "8:resolved"],
            Synthetic.Run(Rule, 1, 1, 9, 9, 9, 9, 1, 1, 1, 1, 1));
    }

    [Fact]
    public void OneGoodInterval_EndsPending()
    {
        Assert.Equal(["1:pending", "3:resolved", "4:pending", "5:resolved"],
            Synthetic.Run(Rule, 1, 9, 9, 1, 9, 2));
    }

    [Fact]
    public void Hysteresis_OneQuietIntervalInsideSlowPeriod_DoesNotFlap()
    {
        // The lone good intervals 5 and 8 do not resolve it; the three in a row from 10 do.
        Assert.Equal(["0:pending", "2:firing", "12:resolved"],
            Synthetic.Run(Rule, 9, 9, 9, 9, 9, 1, 9, 9, 1, 9, 1, 1, 1, 1));
    }

    [Fact]
    public void ForOne_FiresAtOnce_AndResolveAfterIsHonoured()
    {
        Assert.Equal(["1:firing", "2:resolved", "3:firing"],
            Synthetic.Run("p999 > 5ms resolve after 1 interval", 1, 9, 1, 9.5));
    }

    [Fact]
    public void NoCalls_LeavesPendingAlone_AndCountsAsGoodWhenFiring()
    {
        Assert.Equal(["0:pending", "3:firing", "6:resolved"],
            Synthetic.Run(Rule, 9, null, 9, 9, null, null, null, null));
    }

    [Fact]
    public void Relative_NeedsBaseline_ThenJudgesAgainstMedian()
    {
        // baseline(4) needs 2 samples; the first slow value comes before that and is only a sample.
        var rule = "p999 > 4x baseline(4) for 2 intervals resolve after 2 intervals";
        Assert.Equal(["3:pending", "4:firing", "7:resolved"],
            Synthetic.Run(rule, 9, 1, 1, 5, 5, 5, 1, 1, 1));
    }

    [Fact]
    public void Relative_SlowIntervalsDoNotRaiseBaseline()
    {
        var engine = new AlertEngine([AlertRuleParser.Parse("p999 > 2x baseline(3) for 1 interval resolve after 1 interval")]);
        var states = new List<string>();
        long[] values = [1, 1, 1, 3, 3, 3, 3, 3, 1];
        for (int i = 0; i < values.Length; i++)
            foreach (var t in engine.Evaluate(Synthetic.At(i, Synthetic.Series(values[i] * 1_000_000))))
                states.Add($"{i}:{t.StateName}:{t.BaselineNs}:{t.ThresholdNs}");
        Assert.Equal(["3:firing:1000000:2000000", "8:resolved:1000000:2000000"], states);
    }

    [Fact]
    public void Filters_SelectSeries_AndSeriesAreIndependent()
    {
        var engine = new AlertEngine([AlertRuleParser.Parse("p999 > 5ms op=mmap")]);
        var all = new List<AlertTransition>();
        for (int i = 0; i < 3; i++)
            all.AddRange(engine.Evaluate(Synthetic.At(i,
                Synthetic.Series(9_000_000, op: "malloc"),
                Synthetic.Series(i == 1 ? 9_000_000 : 1_000_000, op: "mmap"),
                Synthetic.Series(9_000_000, op: "mmap", measurement: "gc_pause"))));
        Assert.Equal(["mmap/gc_pause:firing", "mmap/alloc_latency:firing"],
            all.Where(t => t.To == AlertState.Firing).Select(t => $"{Tag(t, "op")}/{t.Measurement}:{t.StateName}"));
        Assert.Equal(2, engine.TrackedSeries);
        var gc = new AlertEngine([AlertRuleParser.Parse("p999 > 5ms measurement=gc_pause")]);
        var gcTransitions = gc.Evaluate(Synthetic.At(0, Synthetic.Series(9_000_000), Synthetic.Series(9_000_000, measurement: "gc_pause")));
        Assert.Equal("gc_pause", Assert.Single(gcTransitions).Measurement);
    }

    [Fact]
    public void Transition_CarriesValuesAndTimestamp()
    {
        var engine = new AlertEngine([AlertRuleParser.Parse("slow: p999 > 5ms for 2 intervals")]);
        engine.Evaluate(Synthetic.At(0, Synthetic.Series(7_000_000)));
        var t = Assert.Single(engine.Evaluate(Synthetic.At(1, Synthetic.Series(8_000_000))));
        Assert.Equal(AlertState.Pending, t.From);
        Assert.Equal(AlertState.Firing, t.To);
        Assert.Equal(8_000_000, t.ValueNs);
        Assert.Equal(5_000_000, t.ThresholdNs);
        Assert.Null(t.BaselineNs);
        Assert.Equal(2, t.Intervals);
        Assert.Equal(Synthetic.Start + 2_000_000_000L, t.TimestampUnixNs);
        Assert.Equal("web-1", t.Host);
        Assert.Equal(["allocator", "comm", "op", "pid", "size_class"], t.Tags.Select(x => x.Key));
        Assert.True(t.IsNotification);
    }

    [Fact]
    public void AbsentSeries_AreForgottenWhenInactive()
    {
        var engine = new AlertEngine([AlertRuleParser.Parse(Rule)]);
        engine.Evaluate(Synthetic.At(0, Synthetic.Series(1_000_000, pid: "1")));
        Assert.Equal(1, engine.TrackedSeries);
        for (int i = 1; i <= AlertEngine.ForgetAfterIntervals; i++)
            Assert.Empty(engine.Evaluate(Synthetic.At(i)));
        Assert.Equal(0, engine.TrackedSeries);
    }

    private static string? Tag(AlertTransition t, string key) => t.Tags.FirstOrDefault(x => x.Key == key).Value;
}
