using System.Buffers.Binary;
using System.Text.RegularExpressions;
using Tracer.Elf.Loader;

namespace Tracer.Elf.Tests;

public sealed partial class LibraryResolverTests(NativeFixture native) : IClassFixture<NativeFixture>
{
    [GeneratedRegex(@"^\t(\S+) => (\S+) \(0x[0-9a-f]+\)$")]
    private static partial Regex LddFound();

    [GeneratedRegex(@"^\t(\S+) => not found$")]
    private static partial Regex LddNotFound();

    [GeneratedRegex(@"^\t(/\S+) \(0x[0-9a-f]+\)$")]
    private static partial Regex LddDirect();

    /// <summary>ldd's loaded objects (minus the vDSO) as "name => path" or "path", and its not-found names.</summary>
    private static (List<string> Loaded, List<string> NotFound) Ldd(string path, Dictionary<string, string> env)
    {
        var result = ProcessRunner.Run("ldd", [path], environment: env, clearEnvironment: true, check: false);
        var loaded = new List<string>();
        var missing = new List<string>();
        foreach (var line in result.Stdout.Split('\n'))
        {
            if (line.Length == 0 || line.Contains("linux-vdso.so"))
                continue;
            if (LddFound().Match(line) is { Success: true } f)
                loaded.Add($"{f.Groups[1].Value} => {f.Groups[2].Value}");
            else if (LddNotFound().Match(line) is { Success: true } n)
                missing.Add(n.Groups[1].Value);
            else if (LddDirect().Match(line) is { Success: true } d)
                loaded.Add(d.Groups[1].Value);
            else
                Assert.Fail($"unexpected ldd line: '{line}'");
        }
        return (loaded, missing);
    }

    private static List<string> Describe(LibraryResolution resolution) =>
        resolution.Libraries.Select(l => l.Source is LibrarySearchSource.DirectPath or LibrarySearchSource.Interpreter ? l.Path : $"{l.Name} => {l.Path}").ToList();

    private static LibraryResolution AssertSameAsLdd(string path, Dictionary<string, string> env)
    {
        var (loaded, missing) = Ldd(path, env);
        var resolution = new LibraryResolver().Resolve(path, env);
        Assert.Equal(loaded, Describe(resolution));
        Assert.Equal(missing, resolution.Unresolved.Select(u => u.Name));
        return resolution;
    }

    [Fact]
    public void JemallocProgramResolvesLikeLdd()
    {
        var r = AssertSameAsLdd(native.JemallocProgram, []);
        Assert.Equal("/lib/x86_64-linux-gnu/libjemalloc.so.2", r.Libraries[0].Path);
        Assert.Equal((LibrarySearchSource.Cache, "libjemalloc.so.2"), (r.Libraries[0].Source, r.Libraries[0].Soname));
        Assert.Equal("/lib64/ld-linux-x86-64.so.2", r.Interpreter);
        Assert.Contains(r.Libraries, l => l.Source == LibrarySearchSource.Interpreter && l.Path == "/lib64/ld-linux-x86-64.so.2");
        Assert.Empty(r.Unresolved);
    }

    [Fact]
    public void RunpathWithOriginResolvesLikeLdd()
    {
        var r = AssertSameAsLdd(native.RunpathProgram, []);
        Assert.Equal(LibrarySearchSource.Runpath, r.Libraries.Single(l => l.Name == "liballoc.so.1").Source);
    }

    [Fact]
    public void RpathWithOriginResolvesLikeLdd()
    {
        var r = AssertSameAsLdd(native.RpathProgram, []);
        Assert.Equal(LibrarySearchSource.Rpath, r.Libraries.Single(l => l.Name == "liballoc.so.1").Source);
    }

    [Fact]
    public void MissingLibraryIsReportedNotThrown()
    {
        var r = AssertSameAsLdd(native.PlainProgram, []);
        var missing = Assert.Single(r.Unresolved);
        Assert.Equal(("liballoc.so.1", native.PlainProgram), (missing.Name, missing.RequestedBy));
        Assert.Equal("/lib/x86_64-linux-gnu/liballoc.so.1", missing.Tried[0]);
        Assert.Contains(r.Libraries, l => l.Name == "libc.so.6");
    }

    [Fact]
    public void WrongClassAndMachineCandidatesAreSkipped()
    {
        string decoy32 = native.MakeDirectory("decoy32");
        string decoyArm = native.MakeDirectory("decoyarm");
        File.WriteAllBytes(Path.Combine(decoy32, "liballoc.so.1"), CraftedHeader(elfClass: 1, machine: 3));
        File.WriteAllBytes(Path.Combine(decoyArm, "liballoc.so.1"), CraftedHeader(elfClass: 2, machine: 183));
        string lib = Path.GetDirectoryName(native.Library)!;
        var env = new Dictionary<string, string> { ["LD_LIBRARY_PATH"] = $"{decoy32}:{decoyArm}:{lib}" };
        var r = AssertSameAsLdd(native.PlainProgram, env);
        var found = r.Libraries.Single(l => l.Name == "liballoc.so.1");
        Assert.Equal((native.Library, LibrarySearchSource.LdLibraryPath), (found.Path, found.Source));
    }

    [Fact]
    public void LdLibraryPathBeatsRunpathButNotRpath()
    {
        string copyDir = native.MakeDirectory("override");
        File.Copy(native.Library, Path.Combine(copyDir, "liballoc.so.1"), overwrite: true);
        var env = new Dictionary<string, string> { ["LD_LIBRARY_PATH"] = copyDir };

        var runpath = AssertSameAsLdd(native.RunpathProgram, env);
        Assert.Equal(Path.Combine(copyDir, "liballoc.so.1"), runpath.Libraries.Single(l => l.Name == "liballoc.so.1").Path);

        var rpath = AssertSameAsLdd(native.RpathProgram, env);
        Assert.Equal(LibrarySearchSource.Rpath, rpath.Libraries.Single(l => l.Name == "liballoc.so.1").Source);
    }

    [Fact]
    public void PreloadsComeFirst()
    {
        string lib = Path.GetDirectoryName(native.Library)!;
        var env = new Dictionary<string, string>
        {
            ["LD_LIBRARY_PATH"] = lib,
            ["LD_PRELOAD"] = "libjemalloc.so.2",
        };
        var r = AssertSameAsLdd(native.PlainProgram, env);
        Assert.Equal(("libjemalloc.so.2", true, "LD_PRELOAD"), (r.Libraries[0].Name, r.Libraries[0].IsPreload, r.Libraries[0].RequestedBy));

        env["LD_PRELOAD"] = native.Library;
        var direct = AssertSameAsLdd(native.PlainProgram, env);
        Assert.Equal((native.Library, LibrarySearchSource.DirectPath), (direct.Libraries[0].Path, direct.Libraries[0].Source));
        Assert.Single(direct.Libraries, l => l.Soname == "liballoc.so.1");
    }

    [Fact]
    public void ARelativePreloadIsOpenedFromTheWorkingDirectoryAndNamedByItsAbsolutePath()
    {
        string lib = Path.GetDirectoryName(native.Library)!, parent = Path.GetDirectoryName(lib)!;
        string relative = Path.Combine(Path.GetFileName(lib), Path.GetFileName(native.Library));
        var env = new Dictionary<string, string> { ["LD_PRELOAD"] = relative };
        var r = new LibraryResolver(new LibraryResolverOptions { WorkingDirectory = parent }).Resolve(native.PlainProgram, env);
        Assert.Equal((native.Library, LibrarySearchSource.DirectPath, true), (r.Libraries[0].Path, r.Libraries[0].Source, r.Libraries[0].IsPreload));
    }

    [Fact]
    public void MissingPreloadIsReported()
    {
        var env = new Dictionary<string, string> { ["LD_PRELOAD"] = "libnothere.so.3" };
        var r = new LibraryResolver().Resolve(native.JemallocProgram, env);
        var missing = Assert.Single(r.Unresolved);
        Assert.Equal(("libnothere.so.3", "LD_PRELOAD"), (missing.Name, missing.RequestedBy));
        Assert.Equal(Ldd(native.JemallocProgram, []).Loaded, Describe(r));
    }

    private static byte[] CraftedHeader(byte elfClass, ushort machine)
    {
        var bytes = new byte[1024];
        "\u007fELF"u8.CopyTo(bytes);
        bytes[4] = elfClass;
        bytes[5] = 1;
        bytes[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(16), 3);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(18), machine);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), 1);
        return bytes;
    }
}
