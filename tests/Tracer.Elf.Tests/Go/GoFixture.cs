namespace Tracer.Elf.Tests;

/// <summary>
/// One Go program built twice with the local toolchain, identical except for <c>-ldflags=-s -w</c>,
/// plus doctored copies of the stripped build for the fallback paths.
/// </summary>
public sealed class GoFixture : IDisposable
{
    public const string ModulePath = "example.com/alloclattest";

    internal const string Program = """
        package main

        import (
            "fmt"
            "os"
            "runtime"
        )

        var sink [][]byte

        func main() {
            for i := 0; i < 4; i++ {
                sink = append(sink, make([]byte, 1<<20+i))
            }
            runtime.GC()
            var m runtime.MemStats
            runtime.ReadMemStats(&m)
            fmt.Fprintln(os.Stdout, len(sink), m.NumGC > 0)
        }
        """;

    private readonly TempDirectory _dir = new("alloclat-elf-go-");

    public GoFixture()
    {
        _dir.Write("src/go.mod", $"module {ModulePath}\n\ngo 1.19\n");
        _dir.Write("src/main.go", Program);
        Environment = new Dictionary<string, string>
        {
            ["GOCACHE"] = _dir.File("gocache"),
            ["GOPATH"] = _dir.File("gopath"),
            ["GOFLAGS"] = "-mod=mod",
            ["GO111MODULE"] = "on",
            ["CGO_ENABLED"] = "0",
            ["GOPROXY"] = "off",
            ["HOME"] = _dir.Path,
        };
        string src = _dir.File("src");
        ProcessRunner.Run("/usr/bin/go", ["build", "-o", Plain, "."], src, Environment, timeoutSeconds: 480);
        ProcessRunner.Run("/usr/bin/go", ["build", "-ldflags=-s -w", "-o", Stripped, "."], src, Environment, timeoutSeconds: 480);
        GoVersion = ProcessRunner.Run("/usr/bin/go", ["version"], src, Environment).Stdout.Split(' ')[2];
    }

    public IReadOnlyDictionary<string, string> Environment { get; }

    public string Plain => _dir.File("plain");

    public string Stripped => _dir.File("stripped");

    /// <summary>The version word of <c>go version</c>, e.g. <c>go1.19.8</c>.</summary>
    public string GoVersion { get; }

    /// <summary>
    /// A copy of the stripped build whose named sections were renamed in .shstrtab, as if the
    /// section headers did not describe them.
    /// </summary>
    public string CopyWithRenamedSections(string fileName, params string[] sectionNames)
    {
        var bytes = File.ReadAllBytes(Stripped);
        using (var elf = ElfFile.Open(Stripped))
        {
            var names = elf.Sections.Single(s => s.Name == ".shstrtab");
            foreach (var name in sectionNames)
            {
                var target = System.Text.Encoding.ASCII.GetBytes(name + "\0");
                int at = bytes.AsSpan((int)names.Offset, (int)names.Size).IndexOf(target);
                Assert.True(at >= 0, $"{name} not in .shstrtab");
                bytes[(int)names.Offset + at + 1] = (byte)'x';
            }
        }
        string path = _dir.File(fileName);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A copy of the stripped build with the pclntab magic overwritten.</summary>
    public string CopyWithPclntabMagic(string fileName, uint magic)
    {
        var bytes = File.ReadAllBytes(Stripped);
        using (var elf = ElfFile.Open(Stripped))
        {
            var pclntab = elf.FindSection(".gopclntab")!;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)pclntab.Offset), magic);
        }
        string path = _dir.File(fileName);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => _dir.Dispose();
}
