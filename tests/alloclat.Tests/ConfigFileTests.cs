using Alloclat.Cli;

namespace Alloclat.Tests;

public class ConfigFileTests
{
    private static string Write(string text)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("alloclat-conf-").FullName, "alloclat.conf");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void OptionsComeFromTheFileAndTheCommandLineAfterItWins()
    {
        string path = Write("""
            # production defaults
            min-size = 64K
            interval = 2s
            precise = true
            quiet = false
            influx-url = "http://127.0.0.1:8086"
            influx-db = alloclat
            alert = p999 > 5ms for 3 intervals
            """);
        var o = OptionParser.ParseRecord(["--config", path, "--interval", "5s", "-p", "42"]);
        Assert.Equal(64UL * 1024, o.MinSize);
        Assert.Equal(TimeSpan.FromSeconds(5), o.Interval);
        Assert.True(o.Precise);
        Assert.False(o.Quiet);
        Assert.Equal("http://127.0.0.1:8086", o.InfluxUrl);
        Assert.Equal("alloclat", o.InfluxDatabase);
        Assert.Single(o.Alerts);
        Assert.Equal(42, o.Pid);
    }

    [Theory]
    [InlineData("min-size = 64K\ninterval 2s\n", ":2: expected 'option = value', got 'interval 2s'")]
    [InlineData("# x\nmin-size = 12Q\n", ":2: invalid size '12Q' for --min-size")]
    [InlineData("frobnicate = yes\n", ":1: unknown option --frobnicate")]
    [InlineData("\n\nprecise = maybe\n", ":3: 'precise' takes true or false, not 'maybe'")]
    [InlineData("config = other.conf\n", ":1: a config file cannot include another")]
    public void AMalformedConfigIsOneLineNamingFileAndLine(string text, string message)
    {
        string path = Write(text);
        var r = Cli.Run(["record", "--config", path, "-p", "1"]);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith($"[ERROR] {path}{message}", r.Stderr.Trim());
        Assert.DoesNotContain('\n', r.Stderr.Trim());
    }

    [Fact]
    public void AMissingConfigIsNamed()
    {
        var r = Cli.Run(["record", "--config", "/nonexistent/alloclat.conf", "-p", "1"]);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("[ERROR] cannot read --config /nonexistent/alloclat.conf:", r.Stderr.Trim());
    }
}

public class PerfPagesTests
{
    [Theory]
    [InlineData(1, 512)]
    [InlineData(2, 512)]
    [InlineData(8, 512)]
    [InlineData(16, 256)]
    [InlineData(48, 64)]
    [InlineData(256, 64)]
    public void RingsShareSixteenMebibytesWithinBounds(int cpus, int pages) =>
        Assert.Equal(pages, RecordOptions.DefaultPerfPages(cpus));
}
