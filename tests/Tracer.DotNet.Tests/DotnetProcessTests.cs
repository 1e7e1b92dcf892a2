using System.Diagnostics;
using Tracer.DotNet;
using Tracer.TestSupport;

namespace Tracer.DotNet.Tests;

/// <summary>Real processes: this test host (a .NET process) and the gcwork workload built by `make build`.</summary>
public class DotnetProcessTests
{
    private static readonly int Self = Environment.ProcessId;

    [Fact]
    public void ThisTestHostIsSeenAsDotnetAndItsOwnSocketIsFound()
    {
        Assert.True(DotnetProcess.MapsRuntime(Self));
        var endpoint = DotnetProcess.FindEndpoint(Self);
        Assert.True(endpoint.SocketPath is not null, endpoint.Problem);
        // The runtime names its socket with the pid and its start time since boot.
        Assert.Equal($"dotnet-diagnostic-{Self}-{DotnetProcess.StartTime(Self)}-socket", Path.GetFileName(endpoint.SocketPath));
        Assert.Equal(Self, DotnetProcess.NamespacePid(Self));
    }

    [Fact]
    public void AProcessThatDoesNotRunDotnetIsNotTakenForOne()
    {
        var sleeper = CapturedProcess.Start("sleep", ["30"]);
        try
        {
            Assert.False(DotnetProcess.MapsRuntime(sleeper.Id));
        }
        finally
        {
            sleeper.Kill();
        }
    }

    [Fact]
    public async Task TheSocketIsLookedForInTheTargetsOwnTmpdir()
    {
        string tmp = Directory.CreateTempSubdirectory("alloclat-tmpdir-").FullName;
        string gate = Path.Combine(tmp, "gate");
        ProcessRunner.Run("mkfifo", [gate]);
        var workload = CapturedProcess.Start("dotnet", [Collector.Workload("dotnet/gcwork.dll"), "induced", gate, "0", "0", "0", "0", "0"],
            new Dictionary<string, string> { ["TMPDIR"] = tmp });
        try
        {
            string expected = $"dotnet-diagnostic-{workload.Id}-";
            await Wait.UntilAsync(() => Directory.EnumerateFiles(tmp, expected + "*").Any(), TimeSpan.FromSeconds(30), "the runtime's socket in TMPDIR");
            var endpoint = DotnetProcess.FindEndpoint(workload.Id);
            Assert.True(endpoint.SocketPath is not null, endpoint.Problem);
            Assert.StartsWith(Path.Combine(tmp, expected), endpoint.SocketPath);
        }
        finally
        {
            using (new FileStream(gate, FileMode.Open, FileAccess.Write)) { }
            workload.Wait(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public void DisabledDiagnosticsAreNamedByTheirVariable()
    {
        Assert.Equal("DOTNET_EnableDiagnostics", DotnetProcess.Disabled(new Dictionary<string, string> { ["DOTNET_EnableDiagnostics"] = "0" }));
        Assert.Equal("COMPlus_EnableDiagnostics", DotnetProcess.Disabled(new Dictionary<string, string> { ["COMPlus_EnableDiagnostics"] = "0" }));
        Assert.Null(DotnetProcess.Disabled(new Dictionary<string, string> { ["DOTNET_EnableDiagnostics"] = "1" }));
        var endpoint = DotnetProcess.FindEndpoint(Self);
        Assert.Null(endpoint.Problem);
    }
}
