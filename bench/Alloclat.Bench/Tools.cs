using System.Globalization;
using System.Text.RegularExpressions;

namespace Alloclat.Bench;

sealed record Workload(string Name, string File, string[] Args, long Count, Dictionary<string, string>? Env = null);

/// <summary>One run of a workload under one tracer: the workload's own loop time and what the tracer saw.</summary>
sealed record Run(long LoopNs, long Traced, string Output, bool TargetCrashed = false);

/// <summary>How a workload is run under a tracer. Every run checks that the tracer actually traced.</summary>
abstract class Tracer(string name)
{
    public string Name { get; } = name;
    public string? Note { get; init; }
    public abstract Run Execute(Workload w, BenchRun b);

    public static long LoopNs(CapturedProcess p, string what)
    {
        foreach (var line in p.StdoutLines)
            if (line.StartsWith("loop_ns ", StringComparison.Ordinal))
                return long.Parse(line[8..], CultureInfo.InvariantCulture);
        throw new BenchException($"{what}: no loop time in its output (exit {p.ExitCode}):\n{Tail(p.AllOutput())}");
    }

    public static string Tail(string s, int lines = 15) => string.Join('\n', s.Split('\n').TakeLast(lines));

    protected static bool Crashed(CapturedProcess p) =>
        p.ExitCode != 0 && (p.AllOutput().Contains("SIGILL") || p.AllOutput().Contains("unexpected return pc") ||
                            p.AllOutput().Contains("unknown pc") || p.AllOutput().Contains("fatal error"));
}

sealed class Untraced() : Tracer("untraced")
{
    // Held and released like the traced runs, so starting the loop from a pipe read is the same in both.
    public override Run Execute(Workload w, BenchRun b)
    {
        using var p = Proc.StartWorkload(w.File, w.Args, w.Env, hold: true);
        PidTool.WaitHeld(p.Id, w.File);
        p.Release();
        if (p.Wait(b.RunTimeout).ExitCode != 0)
            throw new BenchException($"{w.Name} failed (exit {p.ExitCode}):\n{Tail(p.AllOutput())}");
        return new Run(LoopNs(p, w.Name), 0, "");
    }
}

/// <summary>alloclat record -- COMMAND: the workload is started by alloclat, as a user would.</summary>
sealed class AlloclatTool(string name, params string[] options) : Tracer(name)
{
    public string[] Options { get; } = options;
    /// <summary>Points that show the run traced what it should: if none match, the run fails (or is "pending").</summary>
    public Func<LineProtocol.Point, bool>? Expect { get; init; }
    /// <summary>The least count of expected points a run must report (the workload's known number of calls).</summary>
    public Func<Workload, long>? MinTraced { get; init; }
    /// <summary>A run with no expected point is a feature not there yet, reported as pending, not a failure.</summary>
    public bool PendingIfNone { get; init; }
    /// <summary>
    /// Holds the workload before its loop until alloclat has been tracing for half a second, so the loop measures the
    /// steady state, as the reference tools' runs do, and not the collector's start-up (section 5 measures that).
    /// </summary>
    public bool Settle { get; init; } = true;

    public override Run Execute(Workload w, BenchRun b)
    {
        var lp = b.TempFile("lp");
        var args = new List<string> { "record", "-q", "-o", lp };
        args.AddRange(Options);
        args.Add("--");
        if (Proc.Pinning is { } pin)
            args.AddRange(["taskset", "-c", pin.Workload]);
        if (w.Env is { Count: > 0 })
        {
            // The environment is the command's, not the collector's (an LD_PRELOAD must not load into alloclat).
            args.Add("/usr/bin/env");
            args.AddRange(w.Env.Select(kv => $"{kv.Key}={kv.Value}"));
        }
        args.Add(w.File);
        args.AddRange(w.Args);
        using var p = Proc.StartTool(b.AlloclatPath, args, hold: Settle);
        if (Settle)
        {
            if (!p.WaitForLine(l => l.StartsWith("[INFO] tracing", StringComparison.Ordinal), TimeSpan.FromSeconds(60)))
                throw new BenchException($"alloclat did not start tracing {w.Name}:\n{Tail(p.AllOutput())}");
            Thread.Sleep(500);
            p.Release();
        }
        if (p.Wait(b.RunTimeout).ExitCode != 0)
            throw new BenchException($"alloclat on {w.Name} failed (exit {p.ExitCode}):\n{Tail(p.AllOutput())}");
        var points = LineProtocol.Read(lp);
        File.Delete(lp);
        if (!points.Any(pt => pt.Measurement == "alloclat_stats"))
            throw new BenchException($"alloclat on {w.Name} wrote no alloclat_stats point");
        long traced = points.Where(pt => pt.Measurement == "alloc_latency" && (Expect?.Invoke(pt) ?? true)).Sum(pt => pt.Field("count"));
        LastPoints = points;
        long min = MinTraced?.Invoke(w) ?? 0;
        if (traced < min && !(PendingIfNone && traced == 0))
            throw new BenchException($"alloclat ({Name}) on {w.Name} reported {traced} calls, expected at least {min}");
        return new Run(LoopNs(p, $"alloclat on {w.Name}"), traced, string.Join('\n', p.StderrLines));
    }

    public List<LineProtocol.Point> LastPoints { get; private set; } = new();
}

/// <summary>
/// Empty BPF programs (or ones that only hand each event over) on the probes alloclat places, with the uprobes
/// and the hand-over limited to the workload's process, as alloclat's are.
/// </summary>
sealed class Floor(string name, string path, Func<Workload, string[]> probes) : PidTool(name)
{
    protected override string File => path;
    protected override string[] Args(Workload w, int pid) => ["-P", pid.ToString(CultureInfo.InvariantCulture), .. probes(w)];
    protected override bool Ready(string line) => line.StartsWith("attached ", StringComparison.Ordinal);

    // Empty programs count nothing, and a loop that makes no syscall gives the hand-over floor nothing to hand
    // over, so a floor run is not required to have received records; the count is kept for the JSON.
    protected override long Count(CapturedProcess tool) =>
        tool.StdoutLines.FirstOrDefault(l => l.StartsWith("received ", StringComparison.Ordinal)) is { } r
            ? Math.Max(1, long.Parse(r[9..], CultureInfo.InvariantCulture)) : 1;
}

/// <summary>A reference tool given the PID of a workload held before its loop; released once the tool is ready.</summary>
abstract class PidTool(string name) : Tracer(name)
{
    protected abstract string File { get; }
    protected abstract string[] Args(Workload w, int pid);
    protected abstract bool Ready(string line);
    protected abstract long Count(CapturedProcess tool);

    public override Run Execute(Workload w, BenchRun b)
    {
        using var target = Proc.StartWorkload(w.File, w.Args, w.Env, hold: true);
        WaitHeld(target.Id, w.File);
        using var tool = Proc.StartTool(File, Args(w, target.Id));
        if (!tool.WaitForLine(Ready, TimeSpan.FromSeconds(90)))
            throw new BenchException($"{Name} did not get ready for {w.Name}:\n{Tail(tool.AllOutput())}");
        target.Release();
        target.Wait(b.RunTimeout);
        tool.Interrupt();
        tool.Wait(TimeSpan.FromSeconds(60));
        if (target.ExitCode != 0 && Crashed(target))
            return new Run(0, Count(tool), target.AllOutput().Split('\n').FirstOrDefault(l => l.Contains("SIGILL") || l.Contains("fatal") || l.Contains("unexpected")) ?? Tail(target.AllOutput(), 1), TargetCrashed: true);
        if (target.ExitCode != 0)
            throw new BenchException($"{w.Name} under {Name} failed (exit {target.ExitCode}):\n{Tail(target.AllOutput())}");
        long n = Count(tool);
        if (n <= 0)
            throw new BenchException($"{Name} traced nothing on {w.Name}; its output:\n{Tail(tool.AllOutput())}");
        return new Run(LoopNs(target, w.Name), n, "");
    }

    // A tool given a PID resolves libraries through the process's mappings: wait until the program has run its
    // loader and sleeps in the read that holds it.
    public static void WaitHeld(int pid, string file)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var stat = System.IO.File.ReadAllText($"/proc/{pid}/stat");
                if (stat[(stat.LastIndexOf(')') + 2)] == 'S' && System.IO.File.ReadAllText($"/proc/{pid}/maps").Contains(file))
                {
                    Thread.Sleep(50);
                    return;
                }
            }
            catch (IOException)
            {
            }
            Thread.Sleep(20);
        }
        throw new BenchException($"process {pid} ({file}) did not reach its hold point");
    }
}

sealed class Bpftrace(string name, Func<Workload, int, string> script) : PidTool(name)
{
    protected override string File => "bpftrace";
    protected override string[] Args(Workload w, int pid) =>
        ["-B", "line", "-p", pid.ToString(CultureInfo.InvariantCulture), "-e", script(w, pid) + " BEGIN { printf(\"ready\\n\"); }"];
    protected override bool Ready(string line) => line == "ready";

    static readonly Regex HistLine = new(@"^\[[^\]]*[\)\]]\s+(\d+)\s+\|", RegexOptions.Compiled);
    static readonly Regex CountLine = new(@"^@\w*:\s+(\d+)\s*$", RegexOptions.Compiled);

    protected override long Count(CapturedProcess tool) =>
        tool.StdoutLines.Sum(l => HistLine.Match(l) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
            : CountLine.Match(l) is { Success: true } c ? long.Parse(c.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
}

sealed class Funclatency(string name, string file, Func<Workload, string> spec) : PidTool(name)
{
    // Its "Tracing" line would otherwise sit in a full stdio buffer until it exits.
    protected override string File => "stdbuf";
    protected override string[] Args(Workload w, int pid) => ["-oL", file, "-p", pid.ToString(CultureInfo.InvariantCulture), spec(w)];
    protected override bool Ready(string line) => line.StartsWith("Tracing", StringComparison.Ordinal);

    static readonly Regex Bucket = new(@"^\s*\d+\s*->\s*\d+\s*:\s*(\d+)\s", RegexOptions.Compiled);

    protected override long Count(CapturedProcess tool) =>
        tool.StdoutLines.Sum(l => Bucket.Match(l) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
}

static class LineProtocol
{
    public sealed record Point(string Measurement, Dictionary<string, string> Tags, Dictionary<string, long> Fields)
    {
        public long Field(string name) => Fields.TryGetValue(name, out var v) ? v : 0;
        public string Tag(string name) => Tags.TryGetValue(name, out var v) ? v : "";
    }

    // The bench's own points never carry escaped characters, so a plain split is enough.
    public static List<Point> Read(string path)
    {
        var points = new List<Point>();
        if (!System.IO.File.Exists(path))
            return points;
        foreach (var line in System.IO.File.ReadAllLines(path))
        {
            var parts = line.Split(' ');
            if (parts.Length < 2)
                continue;
            var key = parts[0].Split(',');
            var tags = key.Skip(1).Select(t => t.Split('=', 2)).Where(t => t.Length == 2).ToDictionary(t => t[0], t => t[1]);
            var fields = parts[1].Split(',').Select(f => f.Split('=', 2)).Where(f => f.Length == 2)
                .ToDictionary(f => f[0], f => long.TryParse(f[1].TrimEnd('i'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0);
            points.Add(new Point(key[0], tags, fields));
        }
        return points;
    }
}
