namespace Alloclat.Tests;

/// <summary>The line-protocol file across runs: appended to, rotated at a size, or not written at all.</summary>
public class OutputFileTests
{
    [Fact]
    public void ASecondRunAppendsToWhatTheFirstWrote()
    {
        string output = Cli.TempOutput();
        var first = Cli.Run(["record", "-q", "-o", output, "--", Cli.Workload("alloc_workload"), "3", "0", "0"]);
        Assert.True(first.ExitCode == 0, first.ToString());
        string firstRun = File.ReadAllText(output);
        var second = Cli.Run(["record", "-q", "-o", output, "--", Cli.Workload("alloc_workload"), "4", "0", "0"]);
        Assert.True(second.ExitCode == 0, second.ToString());

        string both = File.ReadAllText(output);
        Assert.StartsWith(firstRun, both);
        var points = LineProtocolFile.Read(output);
        // Each run wrote its own summary; the 1 MiB mallocs of both runs are all there.
        var runs = points.Where(p => p.Measurement == "alloc_latency_run" && p.Tag("source") == "alloclat_stats").ToList();
        Assert.Equal(2, runs.Count);
        Assert.True(runs[0].Timestamp < runs[1].Timestamp);
        var pids = points.Where(p => p.Measurement == "alloc_latency").Select(p => p.Tag("pid")).Distinct().ToList();
        Assert.Equal(2, pids.Count);
        // Five functions times 3 and then 4 allocations of 1 MiB, each one mmap.
        Assert.Equal([15L, 20L], pids.Select(pid => points.Where(p => p.Measurement == "alloc_latency" && p.Tag("pid") == pid
            && p.Tag("op") == "mmap" && p.Tag("size_class") == "1M").Sum(p => p["count"])));
    }

    [Fact]
    public void AtTheMaximumSizeTheFileIsRotated_KeepingTheGivenNumberOfOlderFiles()
    {
        string output = Cli.TempOutput();
        var result = Cli.Run(["record", "-q", "-o", output, "--interval", "50ms", "--output-max-size", "4K", "--output-keep", "2",
            "--", Cli.Demo, "3"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"[INFO] writing line protocol to {output}, rotated at 4096 bytes keeping 2 older files", result.Stderr);

        string[] files = [output + ".2", output + ".1", output];
        Assert.All(files, f => Assert.True(File.Exists(f), $"{f} is missing"));
        Assert.False(File.Exists(output + ".3"));
        long last = 0;
        foreach (var file in files)
        {
            // Whole intervals in each file, in time order across the files.
            var lines = File.ReadAllLines(file);
            var points = lines.Select(LineProtocolFile.Parse).ToList();
            Assert.Contains(points[^1].Measurement, new[] { "alloclat_stats", "alloc_latency_run" });
            var stats = points.Where(p => p.Measurement == "alloclat_stats").ToList();
            Assert.True(stats[0].Timestamp > last, $"{file} starts before the file rotated before it ends");
            last = stats[^1].Timestamp;
            if (file == output)
                continue;
            // A rotated file was started anew only when its next interval would have passed 4K: without its last
            // interval it is within the size, with the next file's first interval it would not be.
            int lastStart = Array.FindLastIndex(lines, lines.Length - 2, l => l.StartsWith("alloclat_stats,", StringComparison.Ordinal)) + 1;
            long withoutLast = lines.Take(lastStart).Sum(l => System.Text.Encoding.UTF8.GetByteCount(l) + 1);
            Assert.True(withoutLast <= 4096, $"{file}: {withoutLast} bytes before its last interval");
        }
        Assert.Contains(File.ReadAllLines(output), l => l.StartsWith("alloc_latency_run,", StringComparison.Ordinal));
    }

    [Fact]
    public void OutputNoneWritesNoFile_ButTheSummaryStillComes()
    {
        string dir = Path.GetDirectoryName(Cli.TempOutput())!;
        string json = Path.Combine(dir, "s.json");
        var before = Directory.GetFiles(Path.GetTempPath(), "alloclat-*.lp").ToHashSet();
        var result = Cli.Run(["record", "--plain", "-o", "none", "--summary", json, "--", Cli.Workload("alloc_workload"), "2", "0", "0"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("[INFO] no line-protocol file (--output none)", result.Stderr);
        Assert.DoesNotContain("writing line protocol", result.Stderr);
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "none")));
        Assert.DoesNotContain(Directory.GetFiles(Path.GetTempPath(), "alloclat-*.lp"), f => !before.Contains(f));
        Assert.Contains("whole-run percentiles", result.Stdout);
        Assert.Contains("\"allocator\": \"kernel\"", File.ReadAllText(json));
    }

    [Theory]
    [InlineData("--output-keep", "3", "--output-keep needs --output-max-size (files are rotated only at a size)")]
    [InlineData("--output-max-size", "100", "invalid size '100' for --output-max-size: must be at least 4K")]
    [InlineData("--output-max-size", "lots", "invalid size 'lots' for --output-max-size: expected a number with an optional unit K, M or G (e.g. 32K)")]
    [InlineData("--output-keep", "0", "invalid value '0' for --output-keep: expected a positive integer")]
    public void BadRotationOptionsAreRefused(string option, string value, string message)
    {
        var result = InProcessCli.Run(["record", "-q", "-o", Cli.TempOutput(), option, value, "--", "true"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"[ERROR] {message}", result.Stderr.Trim());
    }

    [Fact]
    public void RotationOptionsWithoutAFileAreRefused()
    {
        var result = InProcessCli.Run(["record", "-q", "-o", "none", "--output-max-size", "1M", "--", "true"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("[ERROR] --output-max-size and --output-keep need an output file, not --output none", result.Stderr.Trim());
    }
}
