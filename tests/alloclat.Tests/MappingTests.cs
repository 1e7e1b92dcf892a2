namespace Alloclat.Tests;

/// <summary>What the kernel side counts as an allocation: anonymous memory, mapped and unmapped alike.</summary>
public class MappingTests
{
    [Fact]
    public void MunmapCountsAnonymousMappingsOnlyAsMmapDoes()
    {
        const int Anonymous = 7, File = 5;
        string output = Cli.TempOutput();
        var result = Cli.Run(["record", "-q", "-o", output, "--", Cli.Workload("map_workload"), $"{Anonymous}", $"{File}"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"map_workload: done {Anonymous} anonymous, {File} file", result.Stdout);
        var counts = LineProtocolFile.Counts(LineProtocolFile.Read(output), "kernel")
            .Where(c => c.Key.SizeClass == "1M").ToDictionary(c => c.Key, c => c.Value);
        Assert.Equal(new Dictionary<(string, string), long> { [("mmap", "1M")] = Anonymous, [("munmap", "1M")] = Anonymous }, counts);
    }
}
