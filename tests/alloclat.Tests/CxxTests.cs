namespace Alloclat.Tests;

/// <summary>
/// C++ operator new and delete in precise mode: libstdc++'s over glibc, and jemalloc's and tcmalloc's own, each
/// call counted once, as the outer call (libstdc++'s new calling malloc is one new).
/// </summary>
public class CxxTests
{
    private const int N = 30;

    private static Dictionary<(string, string), long> Counts(string workload, int n, string allocator)
    {
        string output = Cli.TempOutput();
        var result = Cli.Run(["record", "-q", "-o", output, "--precise", "--", Cli.Workload(workload), $"{n}"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"cxx_workload: done {n}", result.Stdout);
        return LineProtocolFile.Counts(LineProtocolFile.Read(output), allocator);
    }

    public static TheoryData<string, string, Dictionary<string, long>> Cases => new()
    {
        // new, nothrow new and aligned new are `new`; the sized and aligned deletes the compiler emits are `delete`.
        { "cxx_workload", "libstdc++", new() { ["new"] = 3 * N, ["new_array"] = N, ["delete"] = 3 * N, ["delete_array"] = N } },
        { "cxx_workload_jemalloc", "jemalloc", new() { ["new"] = 3 * N, ["new_array"] = N, ["delete"] = 3 * N, ["delete_array"] = N } },
        // tcmalloc makes new and new[] one function, and delete[] (unsized) the same function as free.
        { "cxx_workload_tcmalloc", "tcmalloc", new() { ["new"] = 4 * N, ["delete"] = 3 * N, ["free"] = N } },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryOperatorNewAndDeleteIsCountedOnceAsTheOuterCall(string workload, string allocator, Dictionary<string, long> expected)
    {
        var baseline = Counts(workload, 0, allocator);
        var run = Counts(workload, N, allocator);
        var diff = run.Keys.Union(baseline.Keys)
            .Select(k => (k.Item1, k.Item2, Count: run.GetValueOrDefault(k) - baseline.GetValueOrDefault(k)))
            .Where(d => d.Count != 0).ToList();
        // Every block is 64 KiB: one size class.
        Assert.All(diff, d => Assert.Equal("64K", d.Item2));
        Assert.Equal(expected.OrderBy(e => e.Key), diff.Select(d => new KeyValuePair<string, long>(d.Item1, d.Count)).OrderBy(e => e.Key));
    }
}
