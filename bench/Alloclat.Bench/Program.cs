using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alloclat.Bench;

var bench = new BenchRun(args);
try
{
    return bench.Main();
}
catch (Exception e) when (e is BenchException or TimeoutException)
{
    Console.Error.WriteLine($"bench failed: {e.Message}");
    return 1;
}

sealed partial class BenchRun
{
    public bool Quick { get; }
    public string Build { get; } = "build";
    public string? JsonPath { get; }
    public string? MarkdownPath { get; }
    public string AlloclatPath { get; }
    public string FloorPath { get; }
    public TimeSpan RunTimeout { get; } = TimeSpan.FromSeconds(120);
    readonly string _temp;
    int _tempSeq;
    readonly JsonObject _results = new();
    readonly List<string> _skipped = new();
    readonly List<string> _table = new();
    string[]? _only;
    // Renders the Markdown of an earlier run's JSON, without measuring.
    string? _render;
    int? _soakMinutes;

    bool Wanted(string section) => _only is null || _only.Contains(section);

    const string Libc = "/lib/x86_64-linux-gnu/libc.so.6";
    const string Jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
    const string GoLarge = "runtime.(*mcache).allocLarge";

    static readonly string[] SyscallTracepoints =
        ["mmap", "munmap", "mremap", "brk"];

    public BenchRun(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": Quick = true; break;
                case "--build": Build = args[++i]; break;
                case "--json": JsonPath = args[++i]; break;
                case "--markdown": MarkdownPath = args[++i]; break;
                case "--only": _only = args[++i].Split(','); break;
                case "--render": _render = args[++i]; break;
                case "--soak-minutes": _soakMinutes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--no-pin": Proc.Pinning = null; break;
                default: throw new BenchException($"unknown option {args[i]}");
            }
        }
        AlloclatPath = Path.GetFullPath("bin/alloclat");
        FloorPath = Path.GetFullPath(Path.Combine(Build, "bench/floor"));
        _temp = Directory.CreateTempSubdirectory("alloclat-bench-").FullName;
    }

    public string TempFile(string ext) => Path.Combine(_temp, $"{++_tempSeq}.{ext}");
    string Prog(string name) => Path.GetFullPath(Path.Combine(Build, "bench", name));
    int Rounds => Quick ? 2 : 7;

    public int Main()
    {
        if (_render is not null)
        {
            foreach (var (k, v) in JsonNode.Parse(File.ReadAllText(_render))!.AsObject().ToList())
                _results[k] = v?.DeepClone();
            File.WriteAllText(MarkdownPath ?? "BENCHMARKS.md", Markdown());
            return 0;
        }
        if (Environment.UserName != "root")
            throw new BenchException("the bench loads BPF programs: run it as root");
        var started = DateTime.UtcNow;
        _results["machine"] = Machine();
        _results["quick"] = Quick;
        _results["rounds"] = Rounds;
        _results["pinning"] = Proc.Pinning is { } pin ? $"workload on CPU {pin.Workload}, tracers on CPU {pin.Tools}" : "none";
        CheckBcc();
        if (Wanted("fast"))
            _results["fast_path"] = FastPath();
        if (Wanted("large"))
            _results["large_allocation"] = LargeAllocations();
        if (Wanted("goprobes"))
            _results["go_probes"] = GoProbeCost();
        if (Wanted("hostwide"))
            _results["host_wide"] = HostWide();
        if (Wanted("counts"))
            _results["program_counts"] = ProgramCounts();
        if (Wanted("precisecost"))
            _results["precise_cost"] = PreciseCost();
        if (Wanted("demo"))
            _results["demo_spikes"] = DemoSpikes();
        if (Wanted("throughput"))
            _results["throughput"] = Throughput();
        if (Wanted("accuracy"))
            _results["accuracy"] = Accuracy();
        if (Wanted("attach"))
            _results["attach"] = Attach();
        if (Wanted("lifetimes"))
            _results["lifetimes"] = Lifetimes();
        if (Wanted("fleet"))
            _results["fleet"] = Fleet();
        // Half an hour: only when asked for (make bench-soak).
        if (_only?.Contains("soak") == true)
            _results["soak"] = Soak();
        _results["not_run"] = new JsonArray(_skipped.Select(s => (JsonNode)s).ToArray());
        _results["duration_s"] = Math.Round((DateTime.UtcNow - started).TotalSeconds, 1);
        Console.WriteLine();
        foreach (var line in _table)
            Console.WriteLine(line);
        if (JsonPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(JsonPath))!);
            File.WriteAllText(JsonPath, _results.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
            Console.WriteLine($"wrote {JsonPath}");
        }
        if (MarkdownPath is not null && _only is null)
        {
            File.WriteAllText(MarkdownPath, Markdown());
            Console.WriteLine($"wrote {MarkdownPath}");
        }
        Directory.Delete(_temp, true);
        Console.WriteLine($"bench took {(DateTime.UtcNow - started).TotalSeconds:0} s");
        return 0;
    }

    static void Log(string s) => Console.Error.WriteLine($"[bench {DateTime.UtcNow:HH:mm:ss}] {s}");

    static string Sh(string cmd)
    {
        using var p = Proc.Start("/bin/sh", ["-c", cmd]);
        p.Wait(TimeSpan.FromSeconds(30));
        return string.Join('\n', p.StdoutLines).Trim();
    }

    JsonObject Machine() => new()
    {
        ["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
        ["kernel"] = Sh("uname -r"),
        ["os"] = Sh(". /etc/os-release && echo \"$PRETTY_NAME\""),
        ["cpu"] = Sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-"),
        ["cpus"] = Environment.ProcessorCount,
        ["memory"] = Sh("free -h | awk '/Mem:/ {print $2}'"),
        ["load_average_at_start"] = Sh("cut -d' ' -f1-3 /proc/loadavg"),
        ["alloclat_commit"] = Sh("git rev-parse --short HEAD 2>/dev/null"),
        ["bpftrace"] = Sh("bpftrace --version 2>&1"),
        ["libbpf_tools"] = Sh("dpkg-query -W -f='${Version}' libbpf-tools 2>/dev/null"),
        ["bpfcc_tools"] = Sh("dpkg-query -W -f='${Version}' bpfcc-tools 2>/dev/null"),
        ["go"] = Sh("go version"),
    };

    bool _bccWorks;

    // funclatency-bpfcc compiles its program with the kernel headers at run time; this kernel may have none.
    void CheckBcc()
    {
        if (Sh("command -v funclatency-bpfcc") == "")
        {
            _skipped.Add("funclatency-bpfcc (bpfcc-tools): not installed");
            return;
        }
        using var p = Proc.Start("funclatency-bpfcc", ["-d", "1", $"{Libc}:malloc"]);
        try
        {
            p.Wait(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
        }
        _bccWorks = p.ExitCode == 0 && p.StdoutLines.Any(l => l.Contains("->"));
        if (!_bccWorks)
            _skipped.Add("funclatency-bpfcc (bpfcc-tools): cannot run on this kernel: " +
                         (p.StderrLines.Concat(p.StdoutLines).FirstOrDefault(l => l.Contains("kernel headers")) ?? p.StderrLines.LastOrDefault(l => l.Trim().Length > 0) ?? $"exit {p.ExitCode}").Trim());
    }

    Bpftrace BpftraceLibcMalloc(string lib, bool sizeFilter) => new("bpftrace", (w, pid) =>
        $"uprobe:{lib}:malloc /pid == {pid}{(sizeFilter ? " && arg0 >= 32768" : "")}/ {{ @start[tid] = nsecs; }} " +
        $"uretprobe:{lib}:malloc /@start[tid]/ {{ @ns = hist(nsecs - @start[tid]); delete(@start[tid]); }}");

    // This bpftrace build cannot place probes at an offset (a return instruction), and a uretprobe breaks a Go
    // program, so on Go it can only count entries.
    static Bpftrace BpftraceGoEntry(string function) => new("bpftrace (entry count only)", (w, pid) =>
        $"uprobe:{w.File}:\"{function}\" /pid == {pid}/ {{ @calls = count(); }}")
    {
        Note = "entry probe only: this bpftrace build has no offset probes and a uretprobe crashes Go",
    };

    IEnumerable<Tracer> FunclatencyTools(Func<Workload, string> spec, Func<Workload, string> bccSpec)
    {
        yield return new Funclatency("funclatency (libbpf-tools)", "funclatency", spec);
        if (_bccWorks)
            yield return new Funclatency("funclatency-bpfcc", "funclatency-bpfcc", bccSpec);
    }
}
