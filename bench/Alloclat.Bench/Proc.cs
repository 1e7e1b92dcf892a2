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

    /// <summary>
    /// Where the timed runs are placed (null: wherever the scheduler puts them): the workload alone on the last CPU,
    /// the tracer (alloclat, bpftrace, a floor) on the others. A tracer's collector then never takes the workload's
    /// CPU, and a program whose threads hand work to each other always does so on one CPU, so a ratio is what the
    /// probes cost the program in its own time rather than where the scheduler put the two that round.
    /// </summary>
    public static (string Workload, string Tools)? Pinning { get; set; } = Environment.ProcessorCount >= 2
        ? ((Environment.ProcessorCount - 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
           Environment.ProcessorCount == 2 ? "0" : $"0-{Environment.ProcessorCount - 2}")
        : null;

    /// <summary>The command line that runs a workload on its CPU (<see cref="Pinning"/>).</summary>
    public static (string File, string[] Args) OnWorkloadCpu(string file, IEnumerable<string> args) =>
        Pinning is { } p ? ("taskset", ["-c", p.Workload, file, .. args]) : (file, args.ToArray());

    /// <summary>A workload of a timed run, on its CPU.</summary>
    public static CapturedProcess StartWorkload(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, bool hold = false)
    {
        var (f, a) = OnWorkloadCpu(file, args);
        return Start(f, a, env, hold);
    }

    /// <summary>A tracer of a timed run, off the workload's CPU.</summary>
    public static CapturedProcess StartTool(string file, IEnumerable<string> args, bool hold = false) =>
        Pinning is { } p ? Start("taskset", ["-c", p.Tools, file, .. args], null, hold) : Start(file, args, null, hold);

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
