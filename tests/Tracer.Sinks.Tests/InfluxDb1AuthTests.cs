using Tracer.TestSupport;
using static Tracer.Sinks.Tests.RealDb;

namespace Tracer.Sinks.Tests;

/// <summary>InfluxDB 1.6 with authentication on: real 401s and real basic-auth writes.</summary>
public class InfluxDb1AuthTests
{
    [Fact]
    public async Task WrongPassword_IsAFatalAuthError_RightPasswordWrites()
    {
        await using var influx = new InfluxDb1Fixture { AuthEnabled = true };
        await influx.StartAsync();
        string database = TestData.UniqueName("auth");

        var bad = new InfluxWriter(Fast(InfluxWriterOptions.ForV1(influx.Url, database, InfluxDb1Fixture.AdminUser, "wrong"))
            with { FlushTimeout = TimeSpan.Zero }, new CapturingWriter());
        var ping = await bad.PingAsync();
        Assert.True(ping.Reachable);
        Assert.False(ping.Ok);
        Assert.Contains("creating database", ping.Message);
        bad.Write("m,pid=1 count=1i 1000\n");
        await Wait.UntilAsync(() => bad.FatalError is not null, Patience, "the fatal state");
        Assert.Equal("InfluxDB rejected the credentials (401): authorization failed; check the InfluxDB user name and password",
            bad.FatalError!.Message);
        await bad.DisposeAsync();

        await using var good = new InfluxWriter(Fast(InfluxWriterOptions.ForV1(influx.Url, database, InfluxDb1Fixture.AdminUser,
            InfluxDb1Fixture.AdminPassword)), new CapturingWriter());
        var goodPing = await good.PingAsync();
        Assert.True(goodPing.Ok, goodPing.Message);
        good.Write("m,pid=1 count=1i 1000\n");
        Assert.True(await good.FlushAsync(Patience));
        var row = Assert.Single(Assert.Single(await influx.QueryAsync(database, "SELECT * FROM m")).Rows);
        Assert.Equal(1L, row["count"]);
        Assert.Null(good.FatalError);
    }
}
