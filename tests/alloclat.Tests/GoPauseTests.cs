using System.Globalization;
using System.Text.RegularExpressions;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>
/// Go's stop-the-world pauses on every release of the Go matrix: from Go 1.22 one probe, on the returns of
/// <c>startTheWorldWithSema</c>, which is passed the stop's start time and reason and keeps them in its frame; Go
/// 1.19 keeps the entry/return pair. Either way every collection's two pauses are counted exactly, with their reasons, and agree with the
/// runtime's own figures (gctrace).
/// </summary>
public partial class GoPauseTests
{
    public static TheoryData<string> Versions() => new(GoMatrixTests.Versions);

    [GeneratedRegex(@"^gc (\d+) @[0-9.]+s \d+%: ([0-9.]+)\+([0-9.]+)\+([0-9.]+) ms clock", RegexOptions.Multiline)]
    private static partial Regex GcTraceLine();

    // The start of a gctrace line: the last line can be cut (seen as "gc " alone and as "gc 8 @"), the program
    // exiting once runtime.GC has returned while the runtime still prints that collection's line.
    [GeneratedRegex(@"^gc ", RegexOptions.Multiline)]
    private static partial Regex GcTraceStart();

    [Theory]
    [MemberData(nameof(Versions))]
    public void EveryCollectionsTwoPausesAreCountedWithTheirReasonsAndAgreeWithGctrace(string version)
    {
        const int collections = 8;
        string exe = GoMatrixTests.Binary(version, "plain");
        string output = Cli.TempOutput();
        var traced = Cli.Run(["record", "-q", "-v", "--interval", "60s", "-o", output, "--", "env", "GODEBUG=gctrace=1", exe, "0", "0", collections.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(traced.ExitCode == 3, traced.ToString());
        var gcs = GcTraceLine().Matches(traced.Stderr);
        int started = GcTraceStart().Matches(traced.Stderr).Count;
        Assert.True(started >= collections && gcs.Count >= started - 1, traced.Stderr);

        // One probe from 1.22 (one trap per pause), the pair before; each on an instruction the kernel emulates.
        if (version == "1.19")
        {
            Assert.Contains("runtime.stopTheWorldWithSema at ", traced.Stderr);
            Assert.Contains("go_stw_begin (pauses from this entry to runtime.startTheWorldWithSema's return: " +
                "runtime.startTheWorldWithSema receives no stop time before Go 1.22; emulated on `jbe ", traced.Stderr);
            Assert.Contains("go_stw_end, exit site ", traced.Stderr);
        }
        else
        {
            Assert.Contains("runtime.startTheWorldWithSema at ", traced.Stderr);
            // On the branch before the epilogue, where the kernel emulates the probe: one trap, not a trap and a step.
            Assert.Contains(", go_stw_done, exit site ", traced.Stderr);
            Assert.Contains(" of the RET; emulated on `", traced.Stderr);
            Assert.Contains("(one trap per pause: the stop's start time and reason, passed in rcx and rbx, read from the frame at RSP-48 and RSP-", traced.Stderr);
            Assert.DoesNotContain("go_stw_begin", traced.Stderr);
            Assert.DoesNotContain("go_stw_end", traced.Stderr);
        }

        var pauses = LineProtocolFile.Read(output).Where(p => p.Measurement == "gc_pause").ToList();
        var byReason = pauses.GroupBy(p => p.Tags.GetValueOrDefault("reason") ?? "").ToDictionary(g => g.Key, g => g.Sum(p => p["count"]));
        // Each collection stops the world twice: sweep termination, mark termination; the program stops it for nothing else.
        if (version == "1.19")
            Assert.Equal(new Dictionary<string, long> { [""] = 2 * started }, byReason);
        else
            Assert.Equal(new Dictionary<string, long> { ["GCMarkTerm"] = started, ["GCSweepTerm"] = started }, byReason);

        // gctrace's first and third clock figures are the two phases as the runtime times them: sweep termination
        // from before the stop to after the restart, mark termination from before the stop to before the restart.
        // The probes see each pause from the stop (1.22+: once it holds sched.lock) to the restart's return. The
        // shortest pause agrees in order of magnitude, the probes see at least half the runtime's pause time in all
        // (preemption on a busy machine lengthens some pauses, never shortens one), and none is a 100 ms outlier.
        var phases = gcs.SelectMany(m => new[] { m.Groups[2].Value, m.Groups[4].Value })
            .Select(v => double.Parse(v, CultureInfo.InvariantCulture) * 1e6).Order().ToList();
        double min = pauses.Min(p => p["min"]), total = pauses.Sum(p => p["mean"] * p["count"]);
        // The probe's own trap (5-14 us on virtual machines) is inside each pause it measures, and gctrace's mark
        // termination of an empty heap can be a microsecond: the runtime's figure is taken as at least 10 us.
        Assert.InRange(min / Math.Max(phases[0], 10_000), 0.3, 10);
        Assert.True(total >= 0.5 * phases.Sum(), $"{version}: probes saw {total} ns of pauses, gctrace {phases.Sum()} ns");
        Assert.All(pauses, p => Assert.True(p["max"] < 100_000_000, $"{version}: a 100 ms pause is not a forced GC of an empty heap: {p["max"]}"));
    }

    [Fact]
    public void ABuildWhoseRestartDoesNotTakeTheStopTimeGetsThePairAndSaysWhy()
    {
        // A copy of the Go 1.27 program whose startTheWorldWithSema loads RCX from its frame instead of storing it there
        // (MOV [RSP+d8], RCX made MOV RCX, [RSP+d8]): its code no longer takes a start time in RCX, so the one probe
        // cannot be used. The runtime only uses that argument for its own pause metrics; the program runs as before.
        const int collections = 4;
        string original = GoMatrixTests.Binary("1.27", "plain");
        var bytes = File.ReadAllBytes(original);
        ulong entry;
        using (var elf = Tracer.Elf.ElfFile.Open(original))
            entry = elf.FindFunction("runtime.startTheWorldWithSema").StartFileOffset;
        int store = bytes.AsSpan((int)entry, 64).IndexOf((ReadOnlySpan<byte>)[0x48, 0x89, 0x4c, 0x24]);
        Assert.True(store >= 0, "no MOV [RSP+d8], RCX in the first 64 bytes of startTheWorldWithSema");
        bytes[(int)entry + store + 1] = 0x8b;
        string dir = Directory.CreateTempSubdirectory("alloclat-gostw-").FullName;
        string copy = Path.Combine(dir, "gomatrix-patched");
        File.WriteAllBytes(copy, bytes);
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            string output = Cli.TempOutput();
            var traced = Cli.Run(["record", "-q", "-v", "-o", output, "--", copy, "0", "0", collections.ToString(CultureInfo.InvariantCulture)]);
            Assert.True(traced.ExitCode == 3, traced.ToString());
            Assert.DoesNotContain("[WARN]", traced.Stderr);
            Assert.DoesNotContain("go_stw_done", traced.Stderr);
            Assert.Single(Regex.Matches(traced.Stderr, "runtime.startTheWorldWithSema's entry does not read rcx, where its worldStop's reason and start time should be"));
            Assert.Contains("go_stw_begin (pauses from this entry to runtime.startTheWorldWithSema's return: ", traced.Stderr);
            var byReason = LineProtocolFile.Read(output).Where(p => p.Measurement == "gc_pause").GroupBy(p => p.Tag("reason"))
                .ToDictionary(g => g.Key, g => g.Sum(p => p["count"]));
            Assert.True(byReason.GetValueOrDefault("GCSweepTerm") >= collections && byReason.GetValueOrDefault("GCMarkTerm") >= collections, string.Join(", ", byReason));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void InATimeNamespaceThePauseIsMeasuredOnTheProcesssOwnClock()
    {
        // The runtime's nanotime() reads CLOCK_MONOTONIC through the vDSO, which a time namespace shifts (here by a
        // day); the probe's clock is the kernel's. Without the namespace's offset every start time would lie a day
        // in the future and no pause would be seen, or with the opposite sign each would last a day.
        const int collections = 4;
        string output = Cli.TempOutput();
        var traced = Cli.Run(["record", "-q", "-o", output, "--", "unshare", "--time", "--monotonic", "86400", "--fork",
            GoMatrixTests.Binary("1.27", "plain"), "0", "0", collections.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(traced.ExitCode == 3, traced.ToString());
        var pauses = LineProtocolFile.Read(output).Where(p => p.Measurement == "gc_pause").ToList();
        var byReason = pauses.GroupBy(p => p.Tag("reason")).ToDictionary(g => g.Key, g => g.Sum(p => p["count"]));
        Assert.True(byReason.GetValueOrDefault("GCSweepTerm") >= collections && byReason.GetValueOrDefault("GCMarkTerm") >= collections,
            string.Join(", ", byReason) + "\n" + traced);
        Assert.All(pauses, p => Assert.True(p["max"] < 1_000_000_000, $"a pause of {p["max"]} ns: the namespace's offset is not taken off"));
    }
}
