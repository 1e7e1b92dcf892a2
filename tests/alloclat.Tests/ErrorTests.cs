namespace Alloclat.Tests;

/// <summary>
/// Every way a user can start alloclat wrongly ends in one line that says what to do and an exit code of its
/// own. The host conditions (no privilege, no BTF, no or old libbpf) are made real for the one process, with
/// setpriv and a private mount namespace, never simulated inside the collector.
/// </summary>
public class ErrorTests
{
    private static void AssertOneLineError(CliResult r, int code, string text)
    {
        Assert.True(r.ExitCode == code, r.ToString());
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Assert.Single(lines, l => l.StartsWith("[ERROR] ", StringComparison.Ordinal));
        Assert.Contains(text, error);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Theory]
    [InlineData("record --min-size 12Q -p 1", "invalid size '12Q' for --min-size")]
    [InlineData("record --duration soon -p 1", "invalid duration 'soon' for --duration")]
    [InlineData("record -p abc", "invalid process id 'abc'")]
    [InlineData("record -p 0", "invalid process id '0'")]
    [InlineData("record --interval", "option --interval needs a value")]
    [InlineData("record", "nothing to trace")]
    [InlineData("record -p 1 --binary /bin/true", "give only one of")]
    [InlineData("record --all --precise", "--precise needs a target")]
    [InlineData("record -p 1 --frobnicate", "unknown option --frobnicate")]
    [InlineData("record -p 1 --influx-token abc", "ALLOCLAT_INFLUX_TOKEN")]
    [InlineData("record -p 1 --influx-url ftp://x --influx-db d", "invalid URL 'ftp://x'")]
    [InlineData("record -p 1 --influx-url http://127.0.0.1:1", "either --influx-db")]
    [InlineData("record -p 1 --perf-pages 3", "power of two")]
    [InlineData("record -p 1 --influx-ca /etc/ssl/ca.pem", "--influx-ca need --influx-url")]
    [InlineData("record -p 1 --influx-url http://127.0.0.1:1 --influx-db d --influx-flush-timeout soon", "invalid duration 'soon' for --influx-flush-timeout")]
    [InlineData("trace -p 1", "unknown command 'trace'")]
    public void BadOptionsAreRejectedWithTheirReasonWithoutStartingTheBinary(string args, string message) =>
        AssertOneLineError(InProcessCli.Run(args.Split(' ')), 2, message);

    [Fact]
    public void AnUnprivilegedUserIsToldToUseSudo()
    {
        var r = Cli.Run(["record", "--all", "--duration", "1s"], wrapper: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]);
        AssertOneLineError(r, 3, "alloclat needs root, or CAP_BPF and CAP_PERFMON");
    }

    [Fact]
    public void AKernelWithoutBtfIsNamed()
    {
        var r = Cli.RunIsolated($"mount -t tmpfs none /sys/kernel/btf && exec {Cli.Exe} record --all --duration 1s");
        AssertOneLineError(r, 4, "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing)");
    }

    [Fact]
    public void AMissingBtfFileIsNamed() =>
        AssertOneLineError(Cli.Run(["record", "--all", "--duration", "1s", "--btf", "/nonexistent/vmlinux"]), 4, "BTF file /nonexistent/vmlinux (--btf) does not exist");

    private static string RealLibbpf() => Cli.Sh("readlink -f $(ldconfig -p | awk '/libbpf.so.1 .*x86-64/ {print $NF; exit}')").Trim();

    [Fact]
    public void AMissingLibbpfIsNamed()
    {
        var r = Cli.RunIsolated($"mount --bind /dev/null {RealLibbpf()} && exec {Cli.Exe} record --all --duration 1s");
        AssertOneLineError(r, 5, "libbpf.so.1 could not be loaded: install libbpf 1.x");
    }

    [Fact]
    public void AnOldLibbpfIsNamed()
    {
        string dir = Directory.CreateTempSubdirectory("alloclat-oldbpf-").FullName;
        File.WriteAllText(Path.Combine(dir, "old.c"), "unsigned libbpf_major_version(void) { return 0; }\nunsigned libbpf_minor_version(void) { return 8; }\n");
        Cli.Sh($"gcc -shared -fPIC -o {dir}/libbpf.so.1 {dir}/old.c");
        var r = Cli.RunIsolated($"mount --bind {dir}/libbpf.so.1 {RealLibbpf()} && exec {Cli.Exe} record --all --duration 1s");
        AssertOneLineError(r, 5, "libbpf 0.8 is too old; alloclat needs libbpf 1.0 or newer");
    }

    [Fact]
    public void APidThatDoesNotExistIsNamed()
    {
        int pid = 4_000_000;
        while (Directory.Exists($"/proc/{pid}"))
            pid++;
        AssertOneLineError(Cli.Run(["record", "-p", pid.ToString(), "--duration", "1s"]), 6, $"process {pid} does not exist");
    }

    [Fact]
    public void ABinaryThatIsNotElfIsNamed() =>
        AssertOneLineError(Cli.Run(["record", "--binary", "/etc/hostname", "--duration", "1s"]), 8, "/etc/hostname is not a usable binary: not an ELF file");

    [Fact]
    public void ABinaryThatDoesNotExistIsNamed() =>
        AssertOneLineError(Cli.Run(["record", "--binary", "/nonexistent/prog", "--duration", "1s"]), 8, "binary /nonexistent/prog does not exist");

    [Fact]
    public void AStrippedStaticBinaryHasNoAllocatorToProbeAndTheSearchIsListed()
    {
        string dir = Directory.CreateTempSubdirectory("alloclat-static-").FullName;
        Cli.Sh($"gcc -static -s -O2 -o {dir}/static_workload {Path.Combine(Cli.Root, "tests", "workloads", "alloc_workload.c")}");
        var r = Cli.Run(["record", "--precise", "--", $"{dir}/static_workload", "1", "0", "0"]);
        AssertOneLineError(r, 8, $"no allocator found in {dir}/static_workload: looked for malloc, calloc, realloc, aligned_alloc, posix_memalign, memalign, valloc, pvalloc, free (and je_/tc_/mi_ prefixed forms)");
    }

    [Fact]
    public void AnUnknownCommandIsNamed() =>
        AssertOneLineError(Cli.Run(["record", "--", "no-such-command-anywhere"]), 2, "command not found: no-such-command-anywhere");

    [Fact]
    public async Task AnUnreachableInfluxDbIsAWarningAndNothingIsLostFromTheFile()
    {
        // Held bound and refusing connections: a database that is down.
        using var reserved = new Tracer.TestSupport.ReservedPort();
        int port = reserved.Number;
        string output = Cli.TempOutput();
        var r = Cli.Run(["record", "-q", "-o", output, "--influx-url", $"http://127.0.0.1:{port}", "--influx-db", "alloclat",
            "--influx-flush-timeout", "1s", "--", Cli.Workload("alloc_workload"), "10", "0", "0"]);
        // The traced command's own exit code; the points the database never got are counted in one line.
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"[WARN] InfluxDB at http://127.0.0.1:{port} is unreachable", r.Stderr);
        var points = LineProtocolFile.Read(output);
        Assert.Equal(50, LineProtocolFile.Counts(points, "kernel")[("mmap", "1M")]);
        Assert.Contains($"[ERROR] {points.Count} of {points.Count} points were lost to InfluxDB at http://127.0.0.1:{port}/ db=alloclat: 0 rejected by the server, "
            + $"{points.Count} not sent within the flush timeout (1 s)", r.Stderr);
    }

    [Fact]
    public void AnUnreadableInfluxCaFileIsOneLine()
    {
        string missing = Path.Combine(Path.GetTempPath(), "alloclat-no-such-ca-" + Guid.NewGuid().ToString("N") + ".pem");
        var r = Cli.Run(["record", "-q", "-d", "1s", "--all", "--influx-url", "https://127.0.0.1:1", "--influx-db", "d", "--influx-ca", missing]);
        AssertOneLineError(r, 2, $"cannot read the InfluxDB CA file {missing}: ");
    }
}
