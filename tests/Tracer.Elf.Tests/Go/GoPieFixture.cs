namespace Tracer.Elf.Tests;

/// <summary>
/// The Go program as an externally linked PIE (via gcc), plain and with <c>-s -w</c>. External
/// linking merges the pclntab into .data.rel.ro, so there is no .gopclntab section header: the
/// plain build finds it through the runtime.pclntab symbol and the stripped one only by scanning
/// segments.
/// </summary>
public sealed class GoPieFixture : IDisposable
{
    private readonly TempDirectory _dir = new("alloclat-elf-gopie-");

    public GoPieFixture()
    {
        _dir.Write("src/go.mod", $"module {GoFixture.ModulePath}\n\ngo 1.19\n");
        _dir.Write("src/main.go", GoFixture.Program);
        Environment = new Dictionary<string, string>
        {
            ["GOCACHE"] = _dir.File("gocache"),
            ["GOPATH"] = _dir.File("gopath"),
            ["GOFLAGS"] = "-mod=mod",
            ["GO111MODULE"] = "on",
            ["CGO_ENABLED"] = "1",
            ["GOPROXY"] = "off",
            ["HOME"] = _dir.Path,
        };
        string src = _dir.File("src");
        ProcessRunner.Run("/usr/bin/go", ["build", "-buildmode=pie", "-ldflags=-linkmode=external", "-o", Plain, "."], src, Environment, timeoutSeconds: 540);
        ProcessRunner.Run("/usr/bin/go", ["build", "-buildmode=pie", "-ldflags=-linkmode=external -s -w", "-o", Stripped, "."], src, Environment, timeoutSeconds: 540);
    }

    public IReadOnlyDictionary<string, string> Environment { get; }

    public string Plain => _dir.File("pie_plain");

    public string Stripped => _dir.File("pie_stripped");

    public void Dispose() => _dir.Dispose();
}
