using System.Text.RegularExpressions;
using Tracer.Core;
using Tracer.Elf;
using Tracer.Elf.Disassembly;
using Tracer.Elf.Go;

namespace Tracer.Probes;

/// <summary>A Go executable and how its toolchain version was read.</summary>
/// <param name="Version">The toolchain version, e.g. <c>go1.26.10</c>.</param>
/// <param name="VersionSource">Where it was read: the build info blob or <c>runtime.buildVersion</c>.</param>
public sealed record GoBinary(string Version, string VersionSource);

/// <summary>
/// Where to probe a Go binary: the runtime's large-object path (taken by allocations of 32 KiB and more, never by
/// small ones) and its stop-the-world functions, as <see cref="GoRuntimeFacts"/> names them per release. Functions
/// are found in the symbol table, or in pclntab when the binary is stripped; each is decoded whole before any probe
/// is placed on it (<see cref="ProbeSafety"/>), and its returns are found by that decoding.
/// </summary>
public static partial class GoProbes
{
    /// <summary>Cookie flag of <c>go_stw_begin</c>: the release passes a stop reason, in the register of the low byte.</summary>
    private const ulong StopReasonPassed = 0x100;

    private static readonly string[] s_goSections = [".gopclntab", ".data.rel.ro.gopclntab", ".go.module", ".note.go.buildid", ".go.buildinfo"];

    /// <summary>
    /// Recognises a Go binary and reads its version: from the build info blob, or, when that is gone, from
    /// <c>runtime.buildVersion</c>. Returns null for a file that is not Go; a Go binary whose version cannot be read
    /// also returns null, with <paramref name="problem"/> saying what was looked for.
    /// </summary>
    public static GoBinary? Identify(ElfFile elf, string path, out string? problem)
    {
        problem = null;
        string? buildInfoFailure = null;
        try
        {
            if (GoBuildInfo.TryRead(elf) is { } info)
                return new GoBinary(info.GoVersion, "build info");
        }
        catch (FormatException e)
        {
            buildInfoFailure = e.Message;
        }
        if (!LooksLikeGo(elf, out string marker))
            return null;
        if (GoBuildVersion.TryRead(elf, out string where) is { } version)
            return new GoBinary(version, where);
        problem = $"{path}: a Go binary ({marker}) whose Go version is unknown, so it is not probed: " +
            $"{buildInfoFailure ?? "no build info (no .go.buildinfo section, no \\xff Go buildinf: blob)"}; {where}";
        return null;
    }

    /// <summary>Cheap signs of Go first (sections, symbols); a file without section headers is searched for its pclntab.</summary>
    private static bool LooksLikeGo(ElfFile elf, out string marker)
    {
        foreach (var name in s_goSections)
        {
            if (elf.FindSection(name) is not null)
            {
                marker = $"section {name}";
                return true;
            }
        }
        if (elf.Symbols.Lookup("runtime.buildVersion").Count > 0)
        {
            marker = "symbol runtime.buildVersion";
            return true;
        }
        if (elf.Sections.Count == 0 && GoPclntab.TryLoad(elf, out var table, out _))
        {
            marker = $"pclntab found by {table!.Location}";
            return true;
        }
        marker = "";
        return false;
    }

    /// <summary>
    /// Probe sites of a Go binary. Functions that cannot be probed safely are left out, each with one sentence in
    /// <paramref name="problems"/>; throws <see cref="UnprobeableBinaryException"/>
    /// when nothing at all can be probed.
    /// </summary>
    public static IReadOnlyList<UprobeSite> Sites(ElfFile elf, string path, string attachPath, GoBinary binary, List<string> problems)
    {
        string goVersion = binary.Version;
        var facts = GoRuntimeFacts.For(ParseVersion(goVersion))
            ?? throw new UnprobeableBinaryException(
                $"{path} was built by {goVersion}, which passes arguments on the stack; alloclat supports Go {GoRuntimeFacts.Oldest} and later");

        var sites = new List<UprobeSite>();
        var reasons = new List<string>();
        foreach (var candidate in facts.LargePath)
        {
            if (Verified(elf, candidate.Function, reasons) is not { } large)
                continue;
            // The entry on its stack check's branch, emulated (a stack grown there enters the function again, and the
            // entry program keeps the first start, as it does at the entry). The exit stays on the RETs: it reads the
            // result, which the epilogue loads.
            var entry = EmulatedSites.Entry(elf, large.Location, out string? entryWhy);
            sites.Add(new UprobeSite(attachPath, entry?.FileOffset ?? large.Location.StartFileOffset, candidate.Function, Allocators.Go, AllocOp.GoLarge)
            {
                EntryProgram = BpfPrograms.GoLargeEnter,
                ExitProgram = BpfPrograms.GoLargeExit,
                ReturnOffsets = ReturnOffsets(large.Scan),
                CookieFlags = (ulong)candidate.SizeRegister,
                Address = entry?.Address ?? large.Location.Start,
                ReturnAddresses = large.Scan.Sites.Select(s => s.Address).ToArray(),
                Note = Placement(entry, entryWhy, "the entry"),
            });
            break;
        }
        if (sites.Count == 0)
            throw new UnprobeableBinaryException(
                $"{path} ({goVersion}, from {binary.VersionSource}): no large-object allocation function can be probed " +
                $"(looked for {string.Join(", ", facts.LargePath.Select(c => c.Function))}: {string.Join("; ", reasons)})");

        var stwReasons = new List<string>();
        var start = Verified(elf, facts.StartTheWorld, stwReasons);
        string? pairBecause = null;
        if (start is not null && OnePauseProbe(elf, facts, start, attachPath, out pairBecause) is { } done)
        {
            sites.Add(done);
            return sites;
        }
        var stop = Verified(elf, facts.StopTheWorld, stwReasons);
        if (stop is not null && start is not null)
        {
            // Where the kernel emulates the probe (one trap, not two), when the code allows it.
            var entry = EmulatedSites.Entry(elf, stop.Location, out string? entryWhy);
            var end = EmulatedSites.BeforeReturn(elf, start.Location, out string? endWhy);
            sites.Add(new UprobeSite(attachPath, entry?.FileOffset ?? stop.Location.StartFileOffset, facts.StopTheWorld, Allocators.Go, AllocOp.GcPause)
            {
                EntryProgram = BpfPrograms.GoStwBegin,
                ExitProgram = null,
                CookieFlags = facts.StopReasonRegister is { } r ? StopReasonPassed | (ulong)r : 0,
                Address = entry?.Address ?? stop.Location.Start,
                Note = $"pauses from this entry to {facts.StartTheWorld}'s return: {pairBecause}; " + Placement(entry, entryWhy, "the entry"),
            });
            sites.Add(ExitSite(attachPath, facts.StartTheWorld, start, end, endWhy) with { ExitProgram = BpfPrograms.GoStwEnd });
        }
        else
            problems.Add($"{path} ({goVersion}): GC pauses are not measured, the large-object path is: {string.Join("; ", stwReasons)}");
        return sites;
    }

    /// <summary>
    /// Go 1.22+: one probe on <c>startTheWorldWithSema</c>'s returns, which reads the stop's start time and reason the
    /// function was passed from its frame, instead of the pair (one trap per pause instead of two). Null, with
    /// <paramref name="because"/> saying why the pair is used, when the release passes no start time, this build's
    /// code does not read the registers the release should pass them in, or does not keep them in its frame to the end.
    /// </summary>
    private static UprobeSite? OnePauseProbe(ElfFile elf, GoRuntimeFacts facts, VerifiedFunction start, string attachPath, out string because)
    {
        if (facts.WorldStop is not { } args)
        {
            because = $"{facts.StartTheWorld} receives no stop time before Go 1.22";
            return null;
        }
        IReadOnlySet<string> read;
        try
        {
            read = EntryArguments.ReadBeforeWritten(elf, start.Location);
        }
        catch (ArgumentOutOfRangeException e)
        {
            because = $"{facts.StartTheWorld}'s entry cannot be decoded: {e.Message}";
            return null;
        }
        var missing = new[] { args.Reason, args.Start }.Where(r => !read.Contains(RegisterName(r))).ToList();
        if (missing.Count > 0)
        {
            because = $"{facts.StartTheWorld}'s entry does not read {string.Join(" or ", missing.Select(RegisterName))}, " +
                $"where its worldStop's reason and start time should be (it reads {(read.Count == 0 ? "none" : string.Join(" ", read.Order(StringComparer.Ordinal)))})";
            return null;
        }
        // The probe goes on the returns, where the pair ended the pause; the arguments are read from the frame slots
        // the function keeps them in, as far below the stack pointer as the cookie says.
        var reasonSlot = EntryArguments.KeptUntilReturn(elf, start.Location, start.Scan, RegisterName(args.Reason), out string? reasonWhy);
        var startSlot = EntryArguments.KeptUntilReturn(elf, start.Location, start.Scan, RegisterName(args.Start), out string? startWhy);
        if (reasonSlot is null || startSlot is null)
        {
            because = (reasonWhy ?? startWhy)!;
            return null;
        }
        if (reasonSlot.Size != 1 || startSlot.Size != 8 || reasonSlot.FromReturnSp is >= 0 or < -255 || startSlot.FromReturnSp is >= 0 or < -255)
        {
            because = $"{facts.StartTheWorld} keeps its worldStop's reason ({reasonSlot.Size} bytes at RSP{reasonSlot.FromReturnSp}) " +
                $"and start time ({startSlot.Size} bytes at RSP{startSlot.FromReturnSp}) where one probe cannot read them";
            return null;
        }
        because = "";
        var end = EmulatedSites.BeforeReturn(elf, start.Location, out string? endWhy);
        var site = ExitSite(attachPath, facts.StartTheWorld, start, end, endWhy);
        return site with
        {
            ExitProgram = BpfPrograms.GoStwDone,
            // Bits 16-31: where the RET's stack pointer is above the site's (0 on the RET itself).
            CookieFlags = (ulong)(uint)(end?.SpToReturn ?? 0) << 16 | (ulong)(uint)-startSlot.FromReturnSp << 8 | (uint)-reasonSlot.FromReturnSp,
            Note = $"one trap per pause: the stop's start time and reason, passed in {RegisterName(args.Start)} and " +
                $"{RegisterName(args.Reason)}, read from the frame at RSP{startSlot.FromReturnSp} and RSP{reasonSlot.FromReturnSp} " +
                $"of the RET; {site.Note}",
        };
    }

    /// <summary>
    /// The exit probe of a function: on the one instruction that stands for its only RET where the kernel emulates it
    /// (<paramref name="end"/>), else on every RET.
    /// </summary>
    private static UprobeSite ExitSite(string attachPath, string function, VerifiedFunction f, EmulatedSite? end, string? endWhy) =>
        new(attachPath, f.Location.StartFileOffset, function, Allocators.Go, AllocOp.GcPause)
        {
            EntryProgram = null,
            ReturnOffsets = end is null ? ReturnOffsets(f.Scan) : [end.FileOffset],
            Address = f.Location.Start,
            ReturnAddresses = end is null ? f.Scan.Sites.Select(s => s.Address).ToArray() : [end.Address],
            ReturnsStoodFor = end?.StandsFor,
            Note = Placement(end, endWhy, "the RET"),
        };

    /// <summary>What the verbose listing says of a probe's place: the emulated instruction, or why it stays where it was.</summary>
    private static string Placement(EmulatedSite? site, string? why, string instead) => site is null
        ? $"on {instead}, single-stepped: {why}"
        : $"emulated on `{site.Instruction}` at 0x{site.Address:x} for {instead} at 0x{site.StandsFor:x}";

    private static string RegisterName(GoRegister register) => register.ToString().ToLowerInvariant();

    private sealed record VerifiedFunction(FunctionLocation Location, ReturnSiteScan Scan);

    /// <summary>Finds a function and decodes it whole; null (with the reason added) when no probe may go on it.</summary>
    private static VerifiedFunction? Verified(ElfFile elf, string name, List<string> reasons)
    {
        if (!elf.TryFindFunction(name, out var location, out var reason))
        {
            reasons.Add($"{name}: {reason}");
            return null;
        }
        if (ProbeSafety.Verify(elf, location!, out reason) is not { } scan)
        {
            reasons.Add($"{name} is not probed: {reason}");
            return null;
        }
        if (scan.Sites.Count == 0)
        {
            reasons.Add($"{name} is not probed: decoding it found no RET instruction");
            return null;
        }
        return new VerifiedFunction(location!, scan);
    }

    private static IReadOnlyList<ulong> ReturnOffsets(ReturnSiteScan scan) => scan.Sites.Select(s => s.FileOffset).ToArray();

    public static Version ParseVersion(string goVersion)
    {
        var m = VersionPattern().Match(goVersion);
        return m.Success ? new Version(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value)) : new Version(0, 0);
    }

    [GeneratedRegex(@"^go(\d+)\.(\d+)")]
    private static partial Regex VersionPattern();
}
