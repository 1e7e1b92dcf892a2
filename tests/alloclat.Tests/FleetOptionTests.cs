namespace Alloclat.Tests;

/// <summary>
/// Bad fleet options and inputs: one [ERROR] line and exit code 2, before anything is traced or consumed. Found
/// before anything starts, so the command line runs in the test process (<see cref="InProcessCli"/>).
/// </summary>
public class FleetOptionTests
{
    private static CliResult Run(params string[] args) => InProcessCli.Run(args);

    [Theory]
    [InlineData("[ERROR] aggregate needs --kafka-brokers", "aggregate", "--influx-url", "http://127.0.0.1:1", "--influx-db", "x")]
    [InlineData("[ERROR] aggregate needs --influx-url and --influx-db (or --influx-org and --influx-bucket): fleet series go to InfluxDB", "aggregate", "--kafka-brokers", "127.0.0.1:1")]
    [InlineData("[ERROR] invalid value 'soon' for --lateness: expected a number of intervals from 0 to 1000", "aggregate", "--lateness", "soon")]
    [InlineData("[ERROR] unknown option --brokers (see 'alloclat aggregate --help')", "aggregate", "--brokers", "x")]
    [InlineData("[ERROR] merge needs at least one .lp file written with --histograms", "merge")]
    [InlineData("[ERROR] no such file: /nonexistent.lp", "merge", "/nonexistent.lp")]
    [InlineData("[ERROR] --kafka-topic/--kafka-properties need --kafka-brokers", "record", "--kafka-topic", "t", "--all")]
    public void BadOptionsSayWhatIsWrong(string message, params string[] args)
    {
        var (exit, _, stderr) = Run(args);
        Assert.Equal(2, exit);
        Assert.Equal(message, stderr.Trim());
    }

    [Fact]
    public void AFileWithoutHistogramsOrWithABrokenOneIsRefusedByName()
    {
        string dir = Directory.CreateTempSubdirectory("alloclat-merge-").FullName;
        string plain = Path.Combine(dir, "plain.lp"), broken = Path.Combine(dir, "broken.lp");
        File.WriteAllText(plain, "alloclat_stats,host=a events=1i,lost=0i,inflight_dropped=0i,sink_dropped=0i 1\n");
        File.WriteAllText(broken, "alloc_latency_hdr,allocator=kernel,comm=x,host=a,op=mmap,pid=1,size_class=1M,source=alloc_latency seq=1i,start=0i,count=1i,bytes=1i,hdr=\"bm90IGEgaGlzdG9ncmFt\" 1000000000\n");
        var (exit, _, stderr) = Run("merge", plain);
        Assert.Equal(2, exit);
        Assert.Equal($"[ERROR] no histograms in {plain}: record with --histograms", stderr.Trim());
        (exit, _, stderr) = Run("merge", broken);
        Assert.Equal(2, exit);
        Assert.Equal($"[ERROR] {broken}: histogram of a alloc_latency,allocator=kernel,comm=x,op=mmap,size_class=1M at 1000000000: not an HdrHistogram compressed V2 encoding", stderr.Trim());
    }

    [Fact]
    public void SecretsAreNotTakenFromTheCommandLine()
    {
        var (exit, _, stderr) = Run("record", "--kafka-brokers", "127.0.0.1:1", "--kafka-sasl-password", "x", "--all");
        Assert.Equal(2, exit);
        Assert.Contains("unknown option --kafka-sasl-password", stderr);
    }
}
