using Alloclat.Cli;
using Alloclat.Cli.Record;
using Tracer.Core;
using Tracer.Sinks;

namespace Alloclat.Tests;

/// <summary>The outputs of a run: opened only after every check, and an output's I/O error is one line and exit code 10.</summary>
public class SinkSetTests
{
    [Fact]
    public async Task AnOutputFailingWithAnIoErrorStopsAloneInOneLineAndTheRunEndsWithTen()
    {
        var err = new StringWriter();
        var table = new StringWriter();
        // /dev/full takes the open and fails every write with ENOSPC, as a full disk does.
        var sinks = SinkSet.Of([new FileSink("/dev/full"), new ConsoleTableSink(table)], err);
        var snapshot = new IntervalSnapshot(0, 1_000_000_000, "h", [], new CollectorStats(10, 0, 0, 0));
        await sinks.WriteAsync(snapshot);
        await sinks.WriteAsync(snapshot with { StartUnixNs = 1_000_000_000, EndUnixNs = 2_000_000_000 });
        await sinks.DisposeAsync();
        var lines = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("[ERROR] the file output stopped: no space left on the device (ENOSPC); the other outputs go on", Assert.Single(lines));
        Assert.Equal(2, table.ToString().Split("events/s").Length - 1);
        Assert.Equal((int)ReturnCode.OutputError, sinks.Settle(0, tracedCommand: false));
        Assert.Equal(3, sinks.Settle(3, tracedCommand: true));
    }

    [Fact]
    public void AMissingInfluxTokenRefusesTheRunBeforeTheOutputFileIsOpened()
    {
        string output = Cli.TempOutput();
        byte[] before = "alloc_latency,comm=earlier count=1i 1\n"u8.ToArray();
        File.WriteAllBytes(output, before);
        var stamp = File.GetLastWriteTimeUtc(output);
        var r = Cli.Run(["record", "-q", "-o", output, "--influx-url", "http://127.0.0.1:1", "--influx-org", "o", "--influx-bucket", "b", "--", "true"],
            env: new Dictionary<string, string> { ["ALLOCLAT_INFLUX_TOKEN"] = "" });
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Equal("[ERROR] InfluxDB 2.x/3.x needs a token: set ALLOCLAT_INFLUX_TOKEN or pass --influx-token-file", r.Stderr.Trim());
        Assert.Equal(before, File.ReadAllBytes(output));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(output));
    }
}
