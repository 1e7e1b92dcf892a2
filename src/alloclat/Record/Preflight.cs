using Alloclat.Cli.CommandLine;
using Tracer.Core;
using Tracer.Elf;
using Tracer.Kafka;
using Tracer.Native;
using Tracer.Probes;
using Tracer.Sinks;

namespace Alloclat.Cli.Record;

/// <summary>What the checks before tracing found and settled: nothing is loaded, opened or written yet.</summary>
internal sealed record PreflightResult(
    string? BtfPath,
    (ulong Inode, ulong Device)? BinaryId,
    CgroupTarget? Cgroup,
    ProbePlan? PrecisePlan,
    string Host,
    InfluxWriterOptions? Influx,
    KafkaSettings? Kafka);

/// <summary>
/// Everything that can refuse a run, before anything is loaded or any sink opens a file: privileges, BTF, libbpf,
/// tracefs, the target (process, binary, cgroup, precise plan), the summary's directory and the sinks' settings (an
/// InfluxDB token, Kafka properties).
/// </summary>
internal sealed class Preflight(RecordOptions options, TextWriter err)
{
    private readonly RecordOptions _o = options;

    public PreflightResult Run()
    {
        KernelSupport.RequirePrivileges();
        string? btf = KernelSupport.ResolveBtf(_o.BtfPath);
        Libbpf.Verbose = _o.Verbose;
        Libbpf.Log = err;
        Libbpf.EnsureLoaded();
        KernelSupport.EnsureTracefs();

        if (_o.Pid is int pid)
            ProcessTarget.Require(pid);
        (ulong Inode, ulong Device)? binaryId = _o.Binary is null ? null : CheckBinary(_o.Binary);
        var cgroup = _o.Cgroup is null ? null : CgroupTarget.Open(_o.Cgroup);

        // Precise mode needs an allocator to probe: say so before anything is loaded. For -p the plan is kept.
        ProbePlan? precisePlan = _o.Precise && (_o.Pid is not null || _o.Binary is not null || _o.Command.Count > 0) ? CheckPreciseTarget() : null;

        var host = _o.Host ?? KernelSupport.HostName();
        CheckSummaryPath();
        var influx = _o.Influx.Url is null ? null : _o.Influx.WriterOptions();
        var kafka = _o.KafkaBrokers is null ? null : KafkaPublishing.Settings(_o.KafkaBrokers, _o.KafkaTopic, _o.KafkaProperties);
        return new PreflightResult(btf, binaryId, cgroup, precisePlan, host, influx, kafka);
    }

    /// <summary>A --summary file in a directory that does not exist is refused before tracing starts.</summary>
    private void CheckSummaryPath()
    {
        if (_o.SummaryPath is not { } path)
            return;
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null && !Directory.Exists(dir))
            throw new AlloclatException(ReturnCode.ArgumentError, $"cannot write --summary {path}: directory {dir} does not exist");
    }

    private (ulong, ulong) CheckBinary(string path)
    {
        if (!File.Exists(path))
            throw new AlloclatException(ReturnCode.BinaryError, $"binary {path} does not exist");
        RequireElf(path);
        return KernelSupport.FileIdentity(path);
    }

    public static void RequireElf(string path)
    {
        try
        {
            using var elf = ElfFile.Open(path);
        }
        catch (ElfFormatException e)
        {
            throw new AlloclatException(ReturnCode.BinaryError, $"{path} is not a usable binary: {Reason(e, path)}");
        }
    }

    /// <summary>The ELF reader's message names the file first; the sentence around it already does.</summary>
    private static string Reason(ElfFormatException e, string path) =>
        e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message;

    /// <summary>The precise plan of the target, refused when it probes nothing.</summary>
    private ProbePlan CheckPreciseTarget()
    {
        ProbePlan plan;
        string what;
        if (_o.Pid is int pid)
        {
            plan = ProbePlanner.ForProcess(pid, precise: true);
            what = $"process {pid}";
        }
        else
        {
            string exe = _o.Binary ?? LaunchedCommand.ResolveExecutable(_o.Command[0])
                ?? throw new AlloclatException(ReturnCode.ArgumentError, $"command not found: {_o.Command[0]}");
            RequireElf(exe);
            plan = ProbePlanner.ForCommand(exe, ProbePlanner.CurrentEnvironment(), precise: true);
            what = exe;
        }
        if (plan.IsEmpty)
            throw new AlloclatException(ReturnCode.BinaryError, plan.NothingFoundMessage(what));
        return plan;
    }
}
