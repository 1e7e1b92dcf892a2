using System.Security.Cryptography;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>
/// Go release binaries nobody here built: buf 1.75.0 and lefthook 2.2.2 from npm (Go 1.27, stripped, installed by
/// `make go-release`), doing real work under `alloclat record`. Short command-line runs rarely grow the heap to the
/// runtime's first collection target, so they run with GOGC=5/GOGC=1, an ordinary runtime setting, to collect as
/// they go. Their output files and exit codes must be those of an untraced run.
/// </summary>
public class GoReleaseTests
{
    private static string Buf => Collector.Path("build", "go-release", "node_modules", "@bufbuild", "buf-linux-x64", "bin", "buf");

    private static string Lefthook => Collector.Path("build", "go-release", "node_modules", "lefthook-linux-x64", "bin", "lefthook");

    /// <summary>A small protobuf module importing well-known types, which buf compiles from its own copies.</summary>
    private static string ProtoModule()
    {
        string dir = Directory.CreateTempSubdirectory("alloclat-buf-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "acme", "v1"));
        File.WriteAllText(Path.Combine(dir, "buf.yaml"), "version: v2\n");
        File.WriteAllText(Path.Combine(dir, "acme", "v1", "order.proto"), """
            syntax = "proto3";
            package acme.v1;
            import "google/protobuf/descriptor.proto";
            import "google/protobuf/timestamp.proto";
            message Order {
              string id = 1;
              google.protobuf.Timestamp at = 2;
              repeated google.protobuf.FieldDescriptorProto fields = 3;
            }
            """);
        return dir;
    }

    private static (IReadOnlyList<Point> Points, CliResult Result) Trace(params string[] command)
    {
        Assert.True(File.Exists(command.First(File.Exists)), "the release binaries are missing: `make go-release` installs them");
        string output = Cli.TempOutput();
        var result = Cli.Run(["record", "-q", "-v", "-o", output, "--", .. command]);
        Assert.True(File.Exists(output), result.ToString());
        return (LineProtocolFile.Read(output), result);
    }

    private static void AssertGoSeries(IReadOnlyList<Point> run, CliResult result, string comm)
    {
        var large = run.Where(p => p.Measurement == "alloc_latency" && p.Tag("allocator") == "go" && p.Tag("op") == "large_alloc" && p.Tag("comm") == comm).ToList();
        Assert.True(large.Sum(p => p["count"]) > 0, result.ToString());
        Assert.True(run.Where(p => p.Measurement == "gc_pause" && p.Tag("comm") == comm).Sum(p => p["count"]) > 0, result.ToString());
        Assert.False(result.Stderr.Contains("[WARN]"), result.Stderr);
    }

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void BufBuildsTheSameImageTracedAndShowsGoSeries()
    {
        string module = ProtoModule();
        string plainImage = Path.Combine(module, "untraced.binpb");
        string tracedImage = Path.Combine(module, "traced.binpb");
        var untraced = CapturedProcess.Start("env", ["HOME=" + module, "GOGC=5", Buf, "build", module, "-o", plainImage]).Wait(TimeSpan.FromMinutes(1));
        Assert.True(untraced.ExitCode == 0, untraced.Stderr);

        var (run, result) = Trace("env", "HOME=" + module, "GOGC=5", Buf, "build", module, "-o", tracedImage);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(Sha256(plainImage), Sha256(tracedImage));
        AssertGoSeries(run, result, "buf");
        Assert.Contains("buf: runtime.mallocgcLarge at 0x", result.Stderr);
    }

    [Fact]
    public void BufFailsTracedExactlyAsUntraced()
    {
        string module = ProtoModule();
        File.AppendAllText(Path.Combine(module, "acme", "v1", "order.proto"), "message Broken { int32 x = ; }\n");
        var untraced = CapturedProcess.Start("env", ["HOME=" + module, Buf, "build", module]).Wait(TimeSpan.FromMinutes(1));
        var (_, result) = Trace("env", "HOME=" + module, Buf, "build", module);
        Assert.NotEqual(0, untraced.ExitCode);
        Assert.Equal(untraced.ExitCode, result.ExitCode);
        Assert.Equal(untraced.Stdout, result.Stdout);
    }

    [Fact]
    public void LefthookDumpsTheSameConfigTracedAndShowsGoSeries()
    {
        string repo = Directory.CreateTempSubdirectory("alloclat-lefthook-").FullName;
        Cli.Sh($"git -C {repo} init -q");
        File.WriteAllText(Path.Combine(repo, "lefthook.yml"), string.Join("", Enumerable.Range(0, 200).Select(i =>
            $"hook-{i}:\n  jobs:\n    - name: job-{i}\n      run: echo {i}\n      glob: \"*.{i}\"\n")));
        var untraced = CapturedProcess.Start("env", ["-C", repo, "GOGC=1", Lefthook, "dump"]).Wait(TimeSpan.FromMinutes(1));
        Assert.True(untraced.ExitCode == 0, untraced.Stderr);

        var (run, result) = Trace("env", "-C", repo, "GOGC=1", Lefthook, "dump");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(untraced.Stdout, result.Stdout);
        Assert.Contains("job-199", result.Stdout);
        AssertGoSeries(run, result, "lefthook");
    }

    [Fact]
    public void BufWithItsBuildInfoZeroedIsStillRecognisedAndProbed()
    {
        string dir = Directory.CreateTempSubdirectory("alloclat-nobuildinfo-").FullName;
        string copy = Path.Combine(dir, "buf");
        var bytes = File.ReadAllBytes(Buf);
        ReadOnlySpan<byte> magic = [0xff, .. " Go buildinf:"u8];
        int at = bytes.AsSpan().IndexOf(magic);
        Assert.True(at > 0);
        // The blob: its header and the version and module strings that follow it inline.
        Array.Clear(bytes, at, 0x2000);
        Assert.Equal(-1, bytes.AsSpan().IndexOf(magic));
        File.WriteAllBytes(copy, bytes);
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        string module = ProtoModule();
        var (run, result) = Trace("env", "HOME=" + module, "GOGC=5", copy, "build", module, "-o", Path.Combine(module, "out.binpb"));
        Assert.True(result.ExitCode == 0, result.ToString());
        AssertGoSeries(run, result, "buf");
        Assert.Matches(@"go \(.*/buf, go1\.27\.\d+ from runtime\.buildVersion: runtime\.mallocgcLarge", result.Stderr);
    }
}
