using Xunit;

namespace Tracer.TestSupport;

/// <summary>
/// The Go version matrix `make go-matrix` builds: one workload (tests/workloads/go/gomatrix) built by bookworm's Go 1.19
/// and by Debian's golang-1.22/1.24/1.26/1.27 packages, each plain, stripped (-s -w), PIE stripped and cgo stripped
/// (external linking).
/// </summary>
public static class GoMatrix
{
    public static readonly string[] Versions = ["1.19", "1.22", "1.24", "1.26", "1.27"];
    public static readonly string[] Modes = ["plain", "stripped", "pie", "cgo"];

    /// <summary>Every (version, mode) cell, for a theory's member data.</summary>
    public static TheoryData<string, string> Cells()
    {
        var data = new TheoryData<string, string>();
        foreach (var v in Versions)
            foreach (var m in Modes)
                data.Add(v, m);
        return data;
    }

    /// <summary>The built binary of one cell.</summary>
    public static string Binary(string version, string mode) => Repository.Path("build", "go-matrix", $"go{version}", $"gomatrix-{mode}");
}
