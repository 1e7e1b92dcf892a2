using System.Text;
using Tracer.TestSupport;
using static Tracer.Sinks.Tests.RealDb;

namespace Tracer.Sinks.Tests;

/// <summary>InfluxDB 1.6 with a small <c>max-body-size</c>: real 413 answers, split until batches fit.</summary>
public class InfluxDb1BodyLimitTests
{
    [Fact]
    public async Task TooLargeBatches_AreSplitUntilTheyFit_AndEveryPointArrives()
    {
        await using var influx = new InfluxDb1Fixture { MaxBodySize = 4096 };
        await influx.StartAsync();
        string database = TestData.UniqueName("limit");
        var log = new CapturingWriter();
        await using var writer = new InfluxWriter(Fast(InfluxWriterOptions.ForV1(influx.Url, database)), log);
        Assert.True((await writer.PingAsync()).Ok);

        // Random tag values keep gzip from squeezing the batch under the limit.
        var random = new Random(1);
        var text = new StringBuilder();
        for (int i = 0; i < 800; i++)
            text.Append($"m,pid={i},id={random.NextInt64():x16}{random.NextInt64():x16} count={i}i {1000 + i}\n");
        writer.Write(text.ToString());
        Assert.True(await writer.FlushAsync(Patience), log.Text);

        Assert.Equal(0, writer.DroppedLines);
        Assert.Equal(800, writer.SentLines);
        var count = Assert.Single(Assert.Single(await influx.QueryAsync(database, "SELECT COUNT(count) FROM m")).Rows);
        Assert.Equal(800L, count["count"]);
        Assert.Contains(log.Lines, l => l.Contains("(413)"));
    }
}
