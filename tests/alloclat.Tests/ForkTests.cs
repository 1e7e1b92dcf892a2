using System.Text.RegularExpressions;

namespace Alloclat.Tests;

/// <summary>
/// Children that fork without exec (pre-forking servers' workers) in precise mode: each gets probes of its own
/// before its first instruction, so every call it makes is counted.
/// </summary>
public class ForkTests
{
    [Fact]
    public void EveryMallocOfAChildAndAGrandchildForkedWithoutExecIsCounted()
    {
        const int Child = 20000, Grandchild = 3000;
        string output = Cli.TempOutput();
        var result = Cli.Run(["record", "-q", "-v", "-o", output, "--precise", "--", Cli.Workload("fork_workload"), $"{Child}", $"{Grandchild}"],
            timeout: TimeSpan.FromMinutes(4));
        Assert.True(result.ExitCode == 0, result.ToString());
        var done = Regex.Matches(result.Stdout, @"fork_workload: (\d+) done (\d+)").Select(m => (Pid: int.Parse(m.Groups[1].Value), Count: long.Parse(m.Groups[2].Value))).ToList();
        Assert.Equal([Child, Grandchild], done.Select(d => d.Count));
        var points = LineProtocolFile.Read(output);
        Assert.All(points.Where(p => p.Measurement == "alloclat_stats"), s => Assert.Equal(0, s["lost"]));

        foreach (var (pid, count) in done)
        {
            // 100 KiB blocks from the heap: one malloc and one free each, nothing else of 32 KiB or more.
            var expected = new Dictionary<(string, string), long> { [("malloc", "64K")] = count, [("free", "64K")] = count };
            Assert.Equal(expected, LineProtocolFile.Counts(points, "glibc", pid));
            Assert.Matches($@"\[INFO\] process {pid} forked by \d+: \d+ functions probed before its first instruction", result.Stderr);
            Assert.Matches($@"\[INFO\] process {pid}: probe /proc/{pid}/root/\S*libc\.so\.6: malloc at 0x[0-9a-f]+ \(file offset 0x[0-9a-f]+\)", result.Stderr);
        }
    }
}
