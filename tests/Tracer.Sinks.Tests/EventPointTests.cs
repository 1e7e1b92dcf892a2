using System.Text;
using Tracer.Core;
using Tracer.TestSupport;

namespace Tracer.Sinks.Tests;

public class EventPointTests(InfluxDb1Fixture influx) : IClassFixture<InfluxDb1Fixture>
{
    private static readonly EventPoint s_allTypes = new("alert",
        [new("rule", "p999 > 5ms, x=1"), new("state", "firing")],
        [
            new("value", 7L), new("ratio", 2.5), new("big", 1e300), new("nan", double.NaN), new("msg", "say \"hi\" \\ back\\"),
            new("ctl", "line\nbreak\ttab"), new("uni", "名前🚀"), new("empty", ""), new("ok", true), new("no", false),
            new("odd key,=", -3L),
        ]);

    [Fact]
    public void EveryFieldType_IsWrittenExactly_BetweenSeriesAndStats()
    {
        var snapshot = new IntervalSnapshot(0, 10, "h", [TestData.Series(1, "p", "glibc", "malloc", "1M", TestData.Stats(0))], new CollectorStats(1, 0, 0, 0))
        {
            Events = [s_allTypes],
        };
        var lines = LineProtocol.Format(snapshot).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("alloc_latency,", lines[0]);
        Assert.Equal(
            "alert,host=h,rule=p999\\ >\\ 5ms\\,\\ x\\=1,state=firing value=7i,ratio=2.5,big=1E+300,msg=\"say \\\"hi\\\" \\\\ back\\\\\"," +
            "ctl=\"line?break?tab\",uni=\"名前🚀\",empty=\"\",ok=true,no=false,odd\\ key\\,\\==-3i 10",
            lines[1]);
        Assert.StartsWith("alloclat_stats,", lines[2]);
    }

    [Fact]
    public void PointWithOnlyUnwritableFields_IsLeftOut()
    {
        var snapshot = new IntervalSnapshot(0, 10, "h", [], default)
        {
            Events = [new EventPoint("alert", [], [new("x", double.PositiveInfinity)]), new EventPoint("alert", [], [new("y", 1L)])],
        };
        Assert.Equal("alert,host=h y=1i 10\nalloclat_stats,host=h events=0i,lost=0i,inflight_dropped=0i,sink_dropped=0i 10\n",
            LineProtocol.Format(snapshot));
    }

    [Fact]
    public void NoEvents_OutputIsUnchanged()
    {
        var snapshot = TestData.Snapshot(TestData.GoldenTimestamp, "web-1", 3, 1);
        Assert.Equal(LineProtocol.Format(snapshot), LineProtocol.Format(snapshot with { Events = [] }));
        Assert.Empty(snapshot.Events);
    }

    [Fact]
    public async Task EveryFieldType_RoundTripsThroughInfluxDb1()
    {
        string database = TestData.UniqueName("events");
        await influx.ExecuteAsync($"CREATE DATABASE \"{database}\"");
        long ts = TestData.NowNs(-10);
        var snapshot = new IntervalSnapshot(ts - 1_000_000_000, ts, "web-1", [], default) { Events = [s_allTypes] };
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(influx.Url, $"write?db={database}&precision=ns"),
            new StringContent(LineProtocol.Format(snapshot), Encoding.UTF8));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        var row = Assert.Single(Assert.Single(await influx.QueryAsync(database, "SELECT * FROM \"alert\"")).Rows);
        Assert.Equal("p999 > 5ms, x=1", row["rule"]);
        Assert.Equal("firing", row["state"]);
        Assert.Equal("web-1", row["host"]);
        Assert.Equal(7L, row["value"]);
        Assert.Equal(2.5, row["ratio"]);
        Assert.Equal(1e300, row["big"]);
        Assert.Equal("say \"hi\" \\ back\\", row["msg"]);
        Assert.Equal("line?break?tab", row["ctl"]);
        Assert.Equal("名前🚀", row["uni"]);
        Assert.Equal("", row["empty"]);
        Assert.Equal(true, row["ok"]);
        Assert.Equal(false, row["no"]);
        Assert.Equal(-3L, row["odd key,="]);
        Assert.False(row.ContainsKey("nan"));
    }

    [Fact]
    public void ConsoleTable_ShowsAlertTransitionsUnderTheRows()
    {
        var alert = new EventPoint("alert",
            [new("comm", "demo"), new("field", "p999"), new("op", "malloc"), new("pid", "42"), new("rule", "slow"), new("size_class", "1M"), new("source", "alloc_latency"), new("state", "firing")],
            [new("value", 7_010_000L), new("threshold", 5_000_000L), new("firing", true)]) { Kind = EventKind.Alert };
        // Slow calls have lines of their own (SpikeLineTests); any other point is listed generically.
        var other = new EventPoint("other_event", [new("pid", "42")], [new("latency", 9L)]);
        var sink = new ConsoleTableSink(new StringWriter(), timeZone: TimeZoneInfo.Utc);
        var withRows = sink.Render(new IntervalSnapshot(0, 1_000_000_000, "h", [TestData.Series(42, "demo", "glibc", "malloc", "1M", TestData.Stats(0))], default)
        {
            Events = [alert, other],
        }).Split('\n');
        Assert.Equal("  ALERT FIRING  slow  pid=42 comm=demo op=malloc size_class=1M  p999 7.01ms (threshold 5.00ms)", withRows[^4]);
        Assert.Equal("  other_event pid=42 latency=9", withRows[^3]);

        var empty = sink.Render(new IntervalSnapshot(0, 1_000_000_000, "h", [], default) { Events = [alert] });
        Assert.Contains("(no call measured in this interval)\n  ALERT FIRING  slow", empty);
        Assert.EndsWith("\n\n", empty);
    }
}
