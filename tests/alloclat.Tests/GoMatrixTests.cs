using System.Diagnostics;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>
/// The Go version matrix: one workload (tests/workloads/go/gomatrix) built by bookworm's Go 1.19 and by Debian's
/// golang-1.22/1.24/1.26/1.27 packages (`make go-matrix`, toolchains from scripts/go-toolchains), each plain,
/// stripped (-s -w), PIE stripped and cgo stripped (external linking). Every cell must give the exact number of
/// large allocations, at least the stop-the-world pauses it asked for, the untraced output and exit code.
/// </summary>
public class GoMatrixTests
{
    public static readonly string[] Versions = GoMatrix.Versions;
    public static readonly string[] Modes = GoMatrix.Modes;

    public static TheoryData<string, string> Cells() => GoMatrix.Cells();

    public static string Binary(string version, string mode) => GoMatrix.Binary(version, mode);

    [Theory]
    [MemberData(nameof(Cells))]
    public void EveryCellCountsExactly(string version, string mode)
    {
        const int large64 = 40, large1m = 30, collections = 4;
        string exe = Binary(version, mode);
        Assert.True(File.Exists(exe), $"{exe} is missing: `make go-matrix` builds it");
        string[] args = [large64.ToString(), large1m.ToString(), collections.ToString()];

        var untraced = CapturedProcess.Start(exe, args).Wait(TimeSpan.FromSeconds(60));
        string output = Cli.TempOutput();
        var traced = Cli.Run(["record", "-q", "-v", "-o", output, "--", exe, .. args]);

        // The program's own exit status (3) and its output, byte for byte, as without tracing.
        Assert.Equal(3, untraced.ExitCode);
        Assert.True(traced.ExitCode == 3, traced.ToString());
        Assert.Equal(untraced.Stdout, traced.Stdout);
        Assert.False(traced.Stderr.Contains("[WARN]"), traced.Stderr);
        Assert.Contains($"[INFO] process ", traced.Stderr);
        Assert.Contains(": probe ", traced.Stderr);
        // From Go 1.22 one probe per pause, on startTheWorldWithSema's returns; the stop/start pair before (GoPauseTests).
        Assert.True((version != "1.19") == traced.Stderr.Contains(", go_stw_done, "), traced.Stderr);

        var run = LineProtocolFile.Read(output);
        var counts = LineProtocolFile.Counts(run, "go");
        Assert.True(large64 == counts.GetValueOrDefault(("large_alloc", "64K")), $"{version} {mode}: 64K {counts.GetValueOrDefault(("large_alloc", "64K"))}\n{traced.Stderr}");
        Assert.Equal(large1m, counts.GetValueOrDefault(("large_alloc", "1M")));
        Assert.All(counts.Keys, k => Assert.Contains(k.SizeClass, new[] { "64K", "1M" }));
        long pauses = run.Where(p => p.Measurement == "gc_pause").Sum(p => p["count"]);
        // Each runtime.GC() stops the world twice; the allocations may trigger more collections.
        Assert.True(pauses >= 2 * collections, $"{version} {mode}: {pauses} pauses");
        // From Go 1.22 the runtime passes why it stops the world: each collection's two phases.
        var byReason = run.Where(p => p.Measurement == "gc_pause").GroupBy(p => p.Tags.GetValueOrDefault("reason") ?? "")
            .ToDictionary(g => g.Key, g => g.Sum(p => p["count"]));
        if (version == "1.19")
            Assert.Equal([""], byReason.Keys);
        else
        {
            Assert.Equal(["GCMarkTerm", "GCSweepTerm"], byReason.Keys.Order());
            Assert.True(byReason["GCSweepTerm"] >= collections && byReason["GCMarkTerm"] >= collections, string.Join(", ", byReason));
        }
        Assert.All(run.Where(p => p.Measurement == "alloclat_stats"), s => Assert.Equal(0, s["lost"]));
    }

    [Fact]
    public void AGoBinaryWhoseVersionCannotBeReadIsNamedInOneWarning()
    {
        // A copy with the build info and every copy of the version string zeroed: still recognisably Go (its pclntab
        // is there), but nothing says which release built it, so which registers hold the arguments is unknown.
        string original = Binary("1.26", "stripped");
        var bytes = File.ReadAllBytes(original);
        string version = Cli.Sh($"/usr/lib/go-1.26/bin/go version {original}").Trim().Split(" ")[1];
        Assert.StartsWith("go1.26.", version);
        ReadOnlySpan<byte> magic = [0xff, .. " Go buildinf:"u8];
        int blob = bytes.AsSpan().IndexOf(magic);
        Array.Clear(bytes, blob, 0x100);
        var text = System.Text.Encoding.ASCII.GetBytes(version);
        for (int at; (at = bytes.AsSpan().IndexOf(text)) >= 0;)
            Array.Clear(bytes, at, text.Length);
        string copy = Path.Combine(Directory.CreateTempSubdirectory("alloclat-noversion-").FullName, "gomatrix");
        File.WriteAllBytes(copy, bytes);
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        string output = Cli.TempOutput();
        var traced = Cli.Run(["record", "-q", "-o", output, "--", copy, "2", "1", "1"]);
        Assert.True(traced.ExitCode == 3, traced.ToString());
        var warnings = traced.Stderr.Split('\n').Where(l => l.StartsWith("[WARN]")).ToList();
        Assert.True(warnings.Count == 1, traced.ToString());
        var warning = warnings[0];
        Assert.Contains(copy, warning);
        Assert.Contains("a Go binary (section .gopclntab) whose Go version is unknown, so it is not probed", warning);
        Assert.Contains("no build info", warning);
        Assert.Contains("no runtime.buildVersion symbol and no string header pointing at a go1.N string", warning);
        Assert.Empty(LineProtocolFile.Counts(LineProtocolFile.Read(output), "go"));
    }
}
