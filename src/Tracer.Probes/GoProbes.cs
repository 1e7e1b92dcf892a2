using System.Text.RegularExpressions;
using Tracer.Core;
using Tracer.Elf;

namespace Tracer.Probes;

/// <summary>
/// Where to probe a Go binary: the runtime's large-object path (taken by allocations of 32 KiB and more, never by
/// small ones) and its stop-the-world functions. Functions are found in the symbol table, or in pclntab when the
/// binary is stripped; their returns are found by decoding their machine code.
/// </summary>
public static partial class GoProbes
{
    /// <summary>The large-object path by Go version, with the register that carries the size (0 RAX, 1 RBX).</summary>
    private static (string Name, ulong SizeRegister)[] LargePathCandidates(Version version) =>
        version >= new Version(1, 24)
            ? [("runtime.mallocgcLarge", 0), ("runtime.(*mcache).allocLarge", 1)]
            : [("runtime.(*mcache).allocLarge", 1), ("runtime.mallocgcLarge", 0)];

    public const string StopTheWorld = "runtime.stopTheWorldWithSema";
    public const string StartTheWorld = "runtime.startTheWorldWithSema";

    /// <summary>The Go version of a binary, or null when it is not a Go binary.</summary>
    public static string? GoVersion(ElfFile elf)
    {
        try
        {
            return GoBuildInfo.TryRead(elf)?.GoVersion;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Probe sites of a Go binary. Throws <see cref="AlloclatException"/> with <see cref="ReturnCode.BinaryError"/>
    /// naming what is missing when the binary cannot be probed.
    /// </summary>
    public static IReadOnlyList<UprobeSite> Sites(ElfFile elf, string path, string attachPath, string goVersion)
    {
        var version = ParseVersion(goVersion);
        if (version < new Version(1, 17))
            throw new AlloclatException(ReturnCode.BinaryError,
                $"{path} was built by {goVersion}, which passes arguments on the stack; alloclat supports Go 1.17 and later");

        var sites = new List<UprobeSite>();
        var reasons = new List<string>();
        foreach (var (name, register) in LargePathCandidates(version))
        {
            if (!elf.TryFindFunction(name, out var location, out var reason))
            {
                reasons.Add($"{name}: {reason}");
                continue;
            }
            sites.Add(new UprobeSite(attachPath, location!.StartFileOffset, name, Allocators.Go, AllocOp.GoLarge)
            {
                EntryProgram = "go_large_enter",
                ExitProgram = "go_large_exit",
                ReturnOffsets = ReturnOffsetsOf(elf, location, path),
                CookieFlags = register,
            });
            break;
        }
        if (sites.Count == 0)
            throw new AlloclatException(ReturnCode.BinaryError,
                $"{path} ({goVersion}): no large-object allocation function found ({string.Join("; ", reasons)})");

        if (elf.TryFindFunction(StopTheWorld, out var stop, out _) && elf.TryFindFunction(StartTheWorld, out var start, out _))
        {
            sites.Add(new UprobeSite(attachPath, stop!.StartFileOffset, StopTheWorld, Allocators.Go, AllocOp.GcPause)
            {
                EntryProgram = "go_stw_begin",
                ExitProgram = null,
            });
            sites.Add(new UprobeSite(attachPath, start!.StartFileOffset, StartTheWorld, Allocators.Go, AllocOp.GcPause)
            {
                EntryProgram = null,
                ExitProgram = "go_stw_end",
                ReturnOffsets = ReturnOffsetsOf(elf, start, path),
            });
        }
        return sites;
    }

    private static IReadOnlyList<ulong> ReturnOffsetsOf(ElfFile elf, FunctionLocation function, string path)
    {
        var scan = ReturnSites.Find(elf, function);
        if (scan.HitInvalidInstructions || scan.Sites.Count == 0)
            throw new AlloclatException(ReturnCode.BinaryError,
                $"{path}: the returns of {function.Name} could not be found by decoding it " +
                $"({scan.Sites.Count} RET, {scan.InvalidInstructionAddresses.Count} undecodable instructions)");
        return scan.Sites.Select(s => s.FileOffset).ToArray();
    }

    public static Version ParseVersion(string goVersion)
    {
        var m = VersionPattern().Match(goVersion);
        return m.Success ? new Version(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value)) : new Version(0, 0);
    }

    [GeneratedRegex(@"^go(\d+)\.(\d+)")]
    private static partial Regex VersionPattern();
}
