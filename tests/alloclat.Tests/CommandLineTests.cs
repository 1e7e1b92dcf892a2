using Alloclat.Cli.CommandLine;

namespace Alloclat.Tests;

/// <summary>The command line as System.CommandLine reads it: the forms a user types, parsed in-process.</summary>
public class CommandLineTests
{
    [Fact]
    public void ASpikeThresholdTakesTheGrammarOfAlertRules()
    {
        Assert.Equal(TimeSpan.FromMicroseconds(500), AlloclatCommandLine.ParseRecord(["--spike-threshold", "500us", "-p", "1"]).SpikeThreshold);
        Assert.Equal(TimeSpan.Zero, AlloclatCommandLine.ParseRecord(["--spike-threshold", "off", "-p", "1"]).SpikeThreshold);
        Assert.Equal(TimeSpan.FromMilliseconds(5), AlloclatCommandLine.ParseRecord(["-p", "1"]).SpikeThreshold);
    }

    [Fact]
    public void AnOptionGivenTwiceKeepsItsLastValue()
    {
        var o = AlloclatCommandLine.ParseRecord(["--interval", "1s", "--interval=2s", "-n", "a", "--name", "b", "-q", "--quiet", "false"]);
        Assert.Equal(TimeSpan.FromSeconds(2), o.Interval);
        Assert.False(o.Quiet);
        Assert.Equal(["a", "b"], o.Names);
    }

    [Fact]
    public void EverythingAfterTheDoubleDashIsTheCommandsOwn()
    {
        var o = AlloclatCommandLine.ParseRecord(["-q", "--", "ls", "-l", "--interval", "--", "@x"]);
        Assert.True(o.Quiet);
        Assert.Equal(["ls", "-l", "--interval", "--", "@x"], o.Command);
        Assert.Equal(TimeSpan.FromSeconds(1), o.Interval);
    }

    [Fact]
    public void AResponseFileHoldsOptions()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("alloclat-rsp-").FullName, "record.rsp");
        File.WriteAllText(path, "--min-size 64K\n--precise\n--influx-url http://127.0.0.1:8086\n--influx-db alloclat\n");
        var o = AlloclatCommandLine.ParseRecord([$"@{path}", "--", "true"]);
        Assert.Equal(64UL * 1024, o.MinSize);
        Assert.True(o.Precise);
        Assert.Equal("alloclat", o.Influx.Database);
        Assert.Equal(["true"], o.Command);
    }

    [Fact]
    public void AggregateSharesRecordsInfluxOptions()
    {
        var r = InProcessCli.Run("aggregate", "--kafka-brokers", "127.0.0.1:1", "--influx-url", "http://127.0.0.1:1", "--influx-org", "o");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("[ERROR] --influx-org and --influx-bucket go together", r.Stderr.Trim());
        r = InProcessCli.Run("aggregate", "--kafka-brokers", "127.0.0.1:1", "--influx-url", "http://127.0.0.1:1", "--influx-db", "d", "--influx-token", "x");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("ALLOCLAT_INFLUX_TOKEN", r.Stderr);
    }

    [Theory]
    [InlineData("record", "-p, --process-id PID", "--alert RULE")]
    [InlineData("aggregate", "--kafka-brokers LIST", "--influx-url URL")]
    [InlineData("merge", "-o, --output FILE", "--interval TIME")]
    [InlineData("ps", "-n, --name NAME", "-h, --help")]
    [InlineData("report", "--png DIR", "-o, --output FILE")]
    public void EveryVerbHasGeneratedHelp(string verb, string option, string another)
    {
        var r = InProcessCli.Run(verb, "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith($"Usage: alloclat {verb}", r.Stdout);
        Assert.Contains(option, r.Stdout);
        Assert.Contains(another, r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void NoArgumentsShowsTheVerbsAndIsAnError()
    {
        var r = InProcessCli.Run();
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("alloclat aggregate [options]", r.Stdout);
        Assert.Contains("alloclat report FILE.lp", r.Stdout);
    }

    [Fact]
    public void CompletionsComeFromTheDeclaredOptions()
    {
        // What dotnet-suggest asks: the cursor's position in the command line so far.
        var r = InProcessCli.Run("[suggest:16]", "record --influx-");
        Assert.Equal(0, r.ExitCode);
        var words = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains("--influx-url", words);
        Assert.Contains("--influx-token-file", words);
        Assert.DoesNotContain("--influx-token", words);
    }

    [Fact]
    public void ACommandWithoutTheDoubleDashIsOneLine()
    {
        var r = InProcessCli.Run("record", "-p", "1", "ls", "-l");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("[ERROR] unexpected argument 'ls': put the command to trace after --", r.Stderr.Trim());
    }
}
