using System.Text.RegularExpressions;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>With -v, every probe placed is listed: process, library, function, address and file offset.</summary>
public class ProbeListTests
{
    [Fact]
    public void VerbosePreciseTracingOfAPidListsEveryProbePlaced()
    {
        // Outlives alloclat's start and its one second on a busy machine.
        using var demo = CapturedProcess.Start(Cli.Demo, ["60"]);
        string output = Cli.TempOutput();
        var result = Cli.Run(["record", "-q", "-v", "-o", output, "--precise", "-p", demo.Id.ToString(), "--duration", "1s"]);
        demo.Kill();
        Assert.True(result.ExitCode == 0, result.ToString());
        var listed = Regex.Matches(result.Stderr, $@"\[INFO\] process {demo.Id}: probe (\S+libc\.so\.6): (\w+) at 0x[0-9a-f]+ \(file offset 0x[0-9a-f]+\)")
            .Select(m => m.Groups[2].Value).ToHashSet();
        Assert.Superset(new HashSet<string> { "malloc", "calloc", "realloc", "posix_memalign", "free" }, listed);
    }
}
