using Alloclat.Cli;
using Alloclat.Cli.CommandLine;

namespace Alloclat.Tests;

public class ConfigFileTests
{
    private static string Write(string text, string name = "alloclat.toml")
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("alloclat-conf-").FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The options a file turns into, in order, as the command line would receive them.</summary>
    private static List<string> OptionsOf(string text)
    {
        return ConfigFile.Read(Write(text)).Entries.Select(e => $"{e.Option}={(e.Value is bool ? "(flag)" : e.Value)}").ToList();
    }

    [Fact]
    public void TheInfluxSafetyOptionsComeFromTheInfluxSection()
    {
        string path = Write("""
            [influx]
            url = "https://db.internal:8086"
            db = "alloclat"
            flush-timeout = "3s"
            ca = "/etc/alloclat/influx-ca.pem"
            """);
        var o = AlloclatCommandLine.ParseRecord(["--config", path, "-p", "42"]);
        Assert.Equal(TimeSpan.FromSeconds(3), o.Influx.FlushTimeout);
        Assert.Equal("/etc/alloclat/influx-ca.pem", o.Influx.CaFile);
        Assert.Equal(TimeSpan.FromSeconds(5), AlloclatCommandLine.ParseRecord(["-p", "42"]).Influx.FlushTimeout);
        Assert.Equal(TimeSpan.Zero, AlloclatCommandLine.ParseRecord(["-p", "42", "--influx-flush-timeout", "0"]).Influx.FlushTimeout);
    }

    [Fact]
    public void OptionsComeFromTheFileAndTheCommandLineAfterItWins()
    {
        string path = Write("""
            # production defaults
            min-size = "64K"
            interval = "2s"
            precise = true
            quiet = false

            [influx]
            url = "http://127.0.0.1:8086"
            db = "alloclat"

            [alerts]
            rules = ["p999 > 5ms for 3 intervals"]
            """);
        var o = AlloclatCommandLine.ParseRecord(["--config", path, "--interval", "5s", "-p", "42"]);
        Assert.Equal(64UL * 1024, o.MinSize);
        Assert.Equal(TimeSpan.FromSeconds(5), o.Interval);
        Assert.True(o.Precise);
        Assert.False(o.Quiet);
        Assert.Equal("http://127.0.0.1:8086", o.Influx.Url);
        Assert.Equal("alloclat", o.Influx.Database);
        Assert.Single(o.Alerts);
        Assert.Equal(42, o.Pid);
        Assert.Empty(o.Warnings);
    }

    [Fact]
    public void EverySectionMapsItsKeysToLongOptionsGenerically()
    {
        var seen = OptionsOf("""
            min-size = 65536
            interval = 1.5
            output.max-size = "100M"

            [influx]
            url = "http://127.0.0.1:8086"
            influx-db = "direct"

            [kafka]
            brokers = "127.0.0.1:9092"
            topic = "alloclat.histograms"

            [alerts]
            rules = ["p999 > 5ms for 3 intervals", "p99 > 1ms for 2 intervals"]
            file = "/etc/alloclat/alerts.rules"
            webhook = "http://127.0.0.1:9/hook"

            [targets]
            name = ["nginx", "redis-server"]
            cgroup = "/sys/fs/cgroup/system.slice/nginx.service"
            per-thread = true
            """);
        Assert.Equal([
            "--min-size=65536", "--interval=1.5", "--output-max-size=100M",
            "--influx-url=http://127.0.0.1:8086", "--influx-db=direct",
            "--kafka-brokers=127.0.0.1:9092", "--kafka-topic=alloclat.histograms",
            "--alert=p999 > 5ms for 3 intervals", "--alert=p99 > 1ms for 2 intervals",
            "--alert-file=/etc/alloclat/alerts.rules", "--alert-webhook=http://127.0.0.1:9/hook",
            "--name=nginx", "--name=redis-server", "--cgroup=/sys/fs/cgroup/system.slice/nginx.service", "--per-thread=(flag)",
        ], seen);
    }

    [Fact]
    public void InlineTablesAreSectionsToo()
    {
        Assert.Equal(["--influx-url=http://127.0.0.1:8086", "--influx-db=a"],
            OptionsOf("influx = { url = \"http://127.0.0.1:8086\", db = \"a\" }\n"));
    }

    [Fact]
    public void EnvironmentVariablesExpandInStrings()
    {
        Environment.SetEnvironmentVariable("ALLOCLAT_TEST_INFLUX_HOST", "127.0.0.1");
        Environment.SetEnvironmentVariable("ALLOCLAT_TEST_EMPTY", null);
        string path = Write("""
            host = "${ALLOCLAT_TEST_EMPTY:-web-01}"
            [influx]
            url = "http://${ALLOCLAT_TEST_INFLUX_HOST}:8086"
            db = "cost$$center"
            """);
        var o = AlloclatCommandLine.ParseRecord(["--config", path, "-p", "1"]);
        Assert.Equal("http://127.0.0.1:8086", o.Influx.Url);
        Assert.Equal("web-01", o.Host);
        Assert.Equal("cost$center", o.Influx.Database);
    }

    [Fact]
    public void FalseUndoesAFlagSetBefore()
    {
        string first = Write("precise = true\nquiet = true\n");
        string second = Write("precise = false\n");
        var o = AlloclatCommandLine.ParseRecord(["--config", first, "--config", second, "-p", "1"]);
        Assert.False(o.Precise);
        Assert.True(o.Quiet);
    }

    [Fact]
    public void RawLatencyIsSetByTheFile_AndFalseUndoesIt()
    {
        string on = Write("precise = true\nraw-latency = true\n");
        Assert.True(AlloclatCommandLine.ParseRecord(["--config", on, "-p", "1"]).RawLatency);
        Assert.False(AlloclatCommandLine.ParseRecord(["-p", "1", "--precise"]).RawLatency);
        string off = Write("raw-latency = false\n");
        Assert.False(AlloclatCommandLine.ParseRecord(["--config", on, "--config", off, "-p", "1"]).RawLatency);
        Assert.False(AlloclatCommandLine.ParseRecord(["--raw-latency", "--config", off, "-p", "1"]).RawLatency);
    }

    [Fact]
    public void FalseUndoesAFlagGivenBeforeTheFileOnTheCommandLine()
    {
        string off = Write("quiet = false\n[targets]\nper-thread = false\n");
        var o = AlloclatCommandLine.ParseRecord(["-q", "--per-thread", "--config", off, "-p", "1"]);
        Assert.False(o.Quiet);
        Assert.False(o.PerThread);
        var after = AlloclatCommandLine.ParseRecord(["--config", off, "-q", "-p", "1"]);
        Assert.True(after.Quiet);
    }

    [Fact]
    public void DurationsInTheFileUseTheOptionsGrammar()
    {
        var o = AlloclatCommandLine.ParseRecord(["--config", Write("spike-threshold = \"500us\"\ninterval = \"2m\"\n"), "-p", "1"]);
        Assert.Equal(TimeSpan.FromMicroseconds(500), o.SpikeThreshold);
        Assert.Equal(TimeSpan.FromMinutes(2), o.Interval);
    }

    [Fact]
    public void TheOldFlatFormIsStillReadWithOneWarning()
    {
        string path = Write("""
            # production defaults
            min-size = 64K
            interval = 2s
            precise = true
            influx-url = "http://127.0.0.1:8086"
            influx-db = alloclat
            alert = p999 > 5ms for 3 intervals
            """, "alloclat.conf");
        var r = Cli.Run(["record", "--config", path, "-p", "999999999"]);
        var lines = r.Stderr.Trim().Split('\n');
        Assert.Equal($"[WARN] {path} is in the old flat form, not TOML; it is read as before, but quote string values (min-size = \"64K\") to make it TOML", lines[0]);
        var o = AlloclatCommandLine.ParseRecord(["--config", path, "-p", "42"]);
        Assert.Equal(64UL * 1024, o.MinSize);
        Assert.Equal(TimeSpan.FromSeconds(2), o.Interval);
        Assert.True(o.Precise);
        Assert.Equal("alloclat", o.Influx.Database);
        Assert.Single(o.Alerts);
        Assert.Single(o.Warnings);
    }

    [Theory]
    [InlineData("min-size = \"64K\"\ninterval 2s\n", ":2: ")]
    [InlineData("# x\nmin-size = \"12Q\"\n", ":2: invalid size '12Q' for --min-size")]
    [InlineData("frobnicate = true\n", ":1: unknown option --frobnicate")]
    [InlineData("\n\nprecise = \"maybe\"\n", ":3: 'precise' takes true or false, not 'maybe'")]
    [InlineData("config = \"other.toml\"\n", ":1: a config file cannot include another")]
    [InlineData("[influx]\nurl = \"http://127.0.0.1:8086\"\nfrob = \"x\"\n", ":3: unknown option --influx-frob")]
    [InlineData("interval = false\n", ":1: 'interval' takes a value, not false")]
    [InlineData("# \n[influx]\nurl = \"http://${ALLOCLAT_TEST_NOT_SET}:8086\"\n", ":3: environment variable ALLOCLAT_TEST_NOT_SET is not set")]
    [InlineData("interval = \"1s\"\ninterval = \"2s\"\n", ":2: ")]
    [InlineData("host = \"web-01\n", ":1: ")]
    [InlineData("\n[[influx]]\nurl = \"http://127.0.0.1:8086\"\n", ":2: [[influx]] is an array of tables")]
    [InlineData("[alerts]\nrules = \"p999 > 5ms for 3 intervals\"\n", ":2: 'alerts.rules' takes an array of rules")]
    [InlineData("[influx]\n\nurl = \"ftp://x\"\n", ":3: invalid URL 'ftp://x' for --influx-url")]
    [InlineData("started = 1979-05-27T07:32:00Z\n", ":1: 'started' takes a string, a number or true/false")]
    public void AMalformedConfigIsOneLineNamingFileAndLine(string text, string message)
    {
        string path = Write(text);
        var r = InProcessCli.Run(["record", "--config", path, "-p", "1"]);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith($"[ERROR] {path}{message}", r.Stderr.Trim());
        Assert.DoesNotContain('\n', r.Stderr.Trim());
    }

    [Fact]
    public void AMissingConfigIsNamed()
    {
        var r = InProcessCli.Run(["record", "--config", "/nonexistent/alloclat.conf", "-p", "1"]);
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
