extern alias testsupport;

// Under an alias, as the product's projects are: the bench's own type Tracer would clash with the Tracer.* namespaces.
global using CapturedProcess = testsupport::Tracer.TestSupport.CapturedProcess;

namespace Alloclat.Bench;

/// <summary>
/// How the bench starts programs: through the test suite's one runner, <see cref="CapturedProcess"/> (output lines
/// collected as they come, so a tool's readiness line can be awaited; killed with its children on dispose), in the
/// bench's own directory and with a standard input to release a held workload through.
/// </summary>
static class Proc
{
    /// <param name="hold">The workload waits at its hold point (BENCH_HOLD=1) for <see cref="Release"/>.</param>
    public static CapturedProcess Start(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, bool hold = false)
    {
        var all = new Dictionary<string, string>(env ?? new Dictionary<string, string>());
        if (hold)
            all["BENCH_HOLD"] = "1";
        return CapturedProcess.Start(file, args, all, workingDirectory: Environment.CurrentDirectory, input: true);
    }

    /// <summary>Both streams, standard output first.</summary>
    public static string AllOutput(this CapturedProcess p) => string.Join('\n', p.StdoutLines.Concat(p.StderrLines));

    /// <summary>Lets a held workload go on past its hold point.</summary>
    public static void Release(this CapturedProcess p) => p.WriteLine();

    /// <summary>SIGINT, as Ctrl-C: the tool stops in order and prints what it has.</summary>
    public static void Interrupt(this CapturedProcess p)
    {
        if (!p.HasExited)
            p.Signal(2);
    }
}

sealed class BenchException(string message) : Exception(message);
