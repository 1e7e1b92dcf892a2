using System.Diagnostics;
using System.Runtime.InteropServices;
using Tracer.Core;
using Tracer.Native.Interop;

namespace Tracer.Native.Tests;

/// <summary>
/// The collector reads BPF events and passes libbpf option structs by memory layout alone. These tests compile
/// bpf/alloclat.h and libbpf's own header with the C compiler and compare every offset and size with the C#
/// mirrors, so the two sides cannot drift apart silently.
/// </summary>
public class StructLayoutTests
{
    private static readonly Lazy<Dictionary<string, long>> s_c = new(CompileAndRun);

    [Theory]
    [InlineData(typeof(AllocEvent), "alloc_event", new[] { "ts_ns:TimestampNs", "latency_ns:LatencyNs", "size:Size", "addr:Address", "pid:Pid", "tid:Tid", "op:Op", "allocator:Allocator", "flags:Flags", "reserved:Reserved", "comm:Comm", "thread_comm:ThreadComm" })]
    [InlineData(typeof(AllocConfig), "alloclat_config", new[] { "min_size:MinSize", "target_ino:TargetInode", "target_dev:TargetDevice", "filter_pids:FilterPids", "follow_forks:FollowForks", "stop_on_exec:StopOnExec", "stop_on_fork:StopOnFork", "spike_threshold_ns:SpikeThresholdNs" })]
    [InlineData(typeof(HoldLease), "hold_lease", new[] { "renewed_ns:RenewedNs", "valid_ns:ValidNs" })]
    [InlineData(typeof(HeldProcess), "held_process", new[] { "since_ns:SinceNs", "kind:Kind", "parent:Parent" })]
    [InlineData(typeof(HistSeriesKey), "hist_series_key", new[] { "pid:Pid", "allocator:Allocator", "op:Op", "size_class:SizeClass", "pad:Pad" })]
    [InlineData(typeof(HistBlockKey), "hist_block_key", new[] { "series:Series", "block:Block" })]
    [InlineData(typeof(HistBlock), "hist_block", new[] { "bytes:Bytes", "comm:Comm", "counts:Counts" })]
    [InlineData(typeof(HistControl), "hist_control", new[] { "slot:Slot", "enabled:Enabled", "corrected_ops:CorrectedOps", "pad:Pad" })]
    [InlineData(typeof(ProbeBias), "probe_bias", new[] { "bias_ns:BiasNs", "stepped_bias_ns:SteppedBiasNs" })]
    [InlineData(typeof(SpikeEvent), "spike_event", new[] { "ts_ns:TimestampNs", "latency_ns:LatencyNs", "size:Size", "cause_ns:CauseNs", "user_stack_id:UserStackId", "pid:Pid", "tid:Tid", "min_faults:MinorFaults", "maj_faults:MajorFaults", "voluntary_switches:VoluntarySwitches", "involuntary_switches:InvoluntarySwitches", "op:Op", "allocator:Allocator", "flags:Flags", "pad:Pad", "comm:Comm" })]
    [InlineData(typeof(BpfUprobeOpts), "bpf_uprobe_opts", new[] { "sz:sz", "ref_ctr_offset:ref_ctr_offset", "bpf_cookie:bpf_cookie", "retprobe:retprobe", "func_name:func_name" })]
    [InlineData(typeof(BpfObjectOpenOpts), "bpf_object_open_opts", new[] { "sz:sz", "object_name:object_name", "relaxed_maps:relaxed_maps", "pin_root_path:pin_root_path", "kconfig:kconfig", "btf_custom_path:btf_custom_path", "kernel_log_buf:kernel_log_buf", "kernel_log_size:kernel_log_size", "kernel_log_level:kernel_log_level" })]
    [InlineData(typeof(PerfBufferRawOpts), "perf_buffer_raw_opts", new[] { "sz:sz", "cpu_cnt:cpu_cnt", "cpus:cpus", "map_keys:map_keys" })]
    [InlineData(typeof(StackBuildIdFrame), "bpf_stack_build_id", new[] { "status:Status", "build_id:BuildId", "offset:OffsetOrIp" })]
    [InlineData(typeof(PerfEventHeader), "perf_event_header", new[] { "type:type", "misc:misc", "size:size" })]
    public void ManagedLayoutMatchesTheCHeader(Type type, string cStruct, string[] fields)
    {
        var c = s_c.Value;
        Assert.Equal(c[$"sizeof {cStruct}"], Marshal.SizeOf(type));
        foreach (var pair in fields)
        {
            var (cField, managed) = (pair.Split(':')[0], pair.Split(':')[1]);
            Assert.True(c.ContainsKey($"{cStruct}.{cField}"), $"{cStruct}.{cField} not printed by the C program");
            Assert.Equal(c[$"{cStruct}.{cField}"], (long)Marshal.OffsetOf(type, managed));
        }
    }

    [Fact]
    public void CommOffsetConstantsMatchTheHeader()
    {
        Assert.Equal(AllocEvent.CommOffset, s_c.Value["alloc_event.comm"]);
        Assert.Equal(AllocEvent.ThreadCommOffset, s_c.Value["alloc_event.thread_comm"]);
        Assert.Equal(SpikeEvent.CommOffset, s_c.Value["spike_event.comm"]);
    }

    [Fact]
    public void CauseNumbersMatchTheHeader()
    {
        Assert.Equal((long)SpikeCause.Reclaim, s_c.Value["CAUSE_RECLAIM"]);
        Assert.Equal((long)SpikeCause.Compaction, s_c.Value["CAUSE_COMPACTION"]);
        Assert.Equal((long)SpikeCause.MmapLock, s_c.Value["CAUSE_MMAP_LOCK"]);
        Assert.Equal((long)SpikeCause.OnCpu, s_c.Value["CAUSE_ON_CPU"]);
        Assert.Equal((long)SpikeCause.RunQueue, s_c.Value["CAUSE_RUNQUEUE"]);
        Assert.Equal((long)SpikeCause.DelayReclaim, s_c.Value["CAUSE_DELAY_RECLAIM"]);
        Assert.Equal((long)SpikeCause.DelayCompaction, s_c.Value["CAUSE_DELAY_COMPACT"]);
        Assert.Equal((long)SpikeCause.SwapIn, s_c.Value["CAUSE_SWAPIN"]);
        Assert.Equal((long)SpikeCause.Thrashing, s_c.Value["CAUSE_THRASHING"]);
        Assert.Equal((long)SpikeCause.BlockIo, s_c.Value["CAUSE_BLKIO"]);
        Assert.Equal(SpikeEvent.CauseCount, s_c.Value["CAUSE_MAX"]);
        Assert.Equal(SpikeEvent.FlagMoved, s_c.Value["SPIKE_MOVED"]);
        Assert.Equal(SpikeEvent.FlagNoRunQueue, s_c.Value["SPIKE_NO_RUNQUEUE"]);
        Assert.Equal(HistControl.Aggregate, s_c.Value["HIST_AGGREGATE"]);
        Assert.Equal(HistControl.AndEvents, s_c.Value["HIST_AND_EVENTS"]);
        Assert.Equal(HistControl.SteppedEntries, s_c.Value["HIST_STEPPED_ENTRIES"]);
        Assert.Equal(HistBlock.Bits, s_c.Value["HIST_BLOCK_BITS"]);
        Assert.Equal(HistBlock.Buckets, s_c.Value["HIST_BLOCK_BUCKETS"]);
        Assert.Equal(HistControl.SteppedIndex(2, (byte)AllocOp.Free), s_c.Value["HIST_STEPPED_INDEX_JEMALLOC_FREE"]);
        Assert.Equal(ProbeBias.MaxCpus, s_c.Value["ALLOCLAT_MAX_CPUS"]);
        Assert.Equal(Allocators.Calibration, s_c.Value["ALLOCATOR_CALIBRATION"]);
        Assert.Equal(Allocators.Glibc, s_c.Value["ALLOCATOR_GLIBC"]);
    }

    [Fact]
    public void StackFrameStatusesMatchTheKernelHeader()
    {
        Assert.Equal(StackBuildIdFrame.StatusEmpty, s_c.Value["BPF_STACK_BUILD_ID_EMPTY"]);
        Assert.Equal(StackBuildIdFrame.StatusValid, s_c.Value["BPF_STACK_BUILD_ID_VALID"]);
        Assert.Equal(StackBuildIdFrame.StatusIp, s_c.Value["BPF_STACK_BUILD_ID_IP"]);
        Assert.Equal(StackBuildIdFrame.BuildIdSize, s_c.Value["BPF_BUILD_ID_SIZE"]);
    }

    [Fact]
    public void HoldKindsMatchTheHeader()
    {
        Assert.Equal((long)HeldProcess.KindExec, s_c.Value["HOLD_EXEC"]);
        Assert.Equal((long)HeldProcess.KindFork, s_c.Value["HOLD_FORK"]);
    }

    [Fact]
    public void PerfEventAttrFieldsAndConstantsMatchTheKernelHeader()
    {
        var c = s_c.Value;
        foreach (var (field, managed) in new[] { ("type", "type"), ("size", "size"), ("config", "config"), ("sample_period", "sample_period"),
            ("sample_type", "sample_type"), ("read_format", "read_format"), ("wakeup_watermark", "wakeup_watermark") })
            Assert.Equal(c[$"perf_event_attr.{field}"], (long)Marshal.OffsetOf<PerfEventAttr>(managed));
        // The size we declare covers every field we set; the kernel zero-extends a smaller attr than its own and
        // accepts a larger one whose extra bytes are zero.
        Assert.True(PerfEventAttr.Size >= c["perf_event_attr.wakeup_watermark"] + sizeof(uint));
        Assert.Equal(PerfEventAttr.FlagWatermark, 1UL << (int)c["perf_event_attr.watermark_bit"]);
        Assert.Equal(PerfEventAttr.PERF_TYPE_SOFTWARE, c["PERF_TYPE_SOFTWARE"]);
        Assert.Equal((long)PerfEventAttr.PERF_COUNT_SW_BPF_OUTPUT, c["PERF_COUNT_SW_BPF_OUTPUT"]);
        Assert.Equal((long)PerfEventAttr.PERF_SAMPLE_RAW, c["PERF_SAMPLE_RAW"]);
        Assert.Equal(PerfEventHeader.PERF_RECORD_SAMPLE, c["PERF_RECORD_SAMPLE"]);
        Assert.Equal(PerfEventHeader.PERF_RECORD_LOST, c["PERF_RECORD_LOST"]);
    }

    [Fact]
    public void OperationNumbersMatchTheHeader()
    {
        var c = s_c.Value;
        Assert.Equal((long)AllocOp.Mmap, c["OP_MMAP"]);
        Assert.Equal((long)AllocOp.Brk, c["OP_BRK"]);
        Assert.Equal((long)AllocOp.Malloc, c["OP_MALLOC"]);
        Assert.Equal((long)AllocOp.PosixMemalign, c["OP_POSIX_MEMALIGN"]);
        Assert.Equal((long)AllocOp.Free, c["OP_FREE"]);
        Assert.Equal((long)AllocOp.GoLarge, c["OP_GO_LARGE"]);
        Assert.Equal((long)AllocOp.ExecStopped, c["OP_EXEC_STOPPED"]);
        Assert.Equal((long)AllocOp.GcPause, c["OP_GC_PAUSE"]);
        Assert.Equal((long)AllocOp.Mprotect, c["OP_MPROTECT"]);
        Assert.Equal((long)AllocOp.Madvise, c["OP_MADVISE"]);
        Assert.Equal((long)AllocOp.New, c["OP_NEW"]);
        Assert.Equal((long)AllocOp.NewArray, c["OP_NEW_ARRAY"]);
        Assert.Equal((long)AllocOp.Delete, c["OP_DELETE"]);
        Assert.Equal((long)AllocOp.DeleteArray, c["OP_DELETE_ARRAY"]);
        Assert.Equal((long)BpfStat.InflightDropped, c["STAT_INFLIGHT_DROPPED"]);
        Assert.Equal((long)BpfStat.LiveDropped, c["STAT_LIVE_DROPPED"]);
        Assert.Equal((long)BpfStat.HistFull, c["STAT_HIST_FULL"]);
        Assert.Equal((long)(((ulong)Allocators.Jemalloc << 8) | (byte)AllocOp.Calloc), c["COOKIE_JEMALLOC_CALLOC"]);
        // The programs read allocator and operation back whatever flag bits a site's cookie carries above them.
        Assert.Equal(Allocators.Jemalloc, c["COOKIE_FLAGGED_ALLOCATOR"]);
        Assert.Equal((long)AllocOp.Calloc, c["COOKIE_FLAGGED_OP"]);
    }

    private static Dictionary<string, long> CompileAndRun()
    {
        string root = Repository.Root;
        string dir = Directory.CreateTempSubdirectory("alloclat-layout-").FullName;
        string src = Path.Combine(dir, "layout.c"), exe = Path.Combine(dir, "layout");
        File.WriteAllText(src, """
            #include <stddef.h>
            #include <stdio.h>
            #include <linux/types.h>
            #include <linux/perf_event.h>
            #include <bpf/libbpf.h>
            #include "alloclat.h"
            #define S(t) printf("sizeof %s=%zu\n", #t, sizeof(struct t))
            #define F(t, f) printf("%s.%s=%zu\n", #t, #f, offsetof(struct t, f))
            #define E(e) printf("%s=%ld\n", #e, (long)(e))
            int main(void) {
                S(alloc_event); F(alloc_event, ts_ns); F(alloc_event, latency_ns); F(alloc_event, size); F(alloc_event, addr);
                F(alloc_event, pid); F(alloc_event, tid); F(alloc_event, op); F(alloc_event, allocator); F(alloc_event, flags);
                F(alloc_event, reserved); F(alloc_event, comm); F(alloc_event, thread_comm);
                S(alloclat_config); F(alloclat_config, min_size); F(alloclat_config, target_ino); F(alloclat_config, target_dev);
                F(alloclat_config, filter_pids); F(alloclat_config, follow_forks); F(alloclat_config, stop_on_exec); F(alloclat_config, stop_on_fork);
                F(alloclat_config, spike_threshold_ns);
                S(hold_lease); F(hold_lease, renewed_ns); F(hold_lease, valid_ns);
                S(held_process); F(held_process, since_ns); F(held_process, kind); F(held_process, parent);
                E(HOLD_EXEC); E(HOLD_FORK);
                S(hist_series_key); F(hist_series_key, pid); F(hist_series_key, allocator); F(hist_series_key, op); F(hist_series_key, size_class); F(hist_series_key, pad);
                S(hist_block_key); F(hist_block_key, series); F(hist_block_key, block);
                S(hist_block); F(hist_block, bytes); F(hist_block, comm); F(hist_block, counts); E(HIST_BLOCK_BITS); E(HIST_BLOCK_BUCKETS);
                S(hist_control); F(hist_control, slot); F(hist_control, enabled); F(hist_control, corrected_ops); F(hist_control, pad);
                S(probe_bias); F(probe_bias, bias_ns); F(probe_bias, stepped_bias_ns); E(ALLOCLAT_MAX_CPUS); E(ALLOCATOR_CALIBRATION); E(ALLOCATOR_GLIBC);
                E(HIST_AGGREGATE); E(HIST_AND_EVENTS); E(HIST_STEPPED_ENTRIES);
                printf("HIST_STEPPED_INDEX_JEMALLOC_FREE=%u\n", HIST_STEPPED_INDEX(2, OP_FREE));
                S(spike_event); F(spike_event, ts_ns); F(spike_event, latency_ns); F(spike_event, size); F(spike_event, cause_ns);
                F(spike_event, user_stack_id); F(spike_event, pid); F(spike_event, tid); F(spike_event, min_faults);
                F(spike_event, maj_faults); F(spike_event, voluntary_switches); F(spike_event, involuntary_switches); F(spike_event, op);
                F(spike_event, allocator); F(spike_event, flags); F(spike_event, pad); F(spike_event, comm);
                E(CAUSE_RECLAIM); E(CAUSE_COMPACTION); E(CAUSE_MMAP_LOCK); E(CAUSE_ON_CPU); E(CAUSE_RUNQUEUE);
                E(CAUSE_DELAY_RECLAIM); E(CAUSE_DELAY_COMPACT); E(CAUSE_SWAPIN); E(CAUSE_THRASHING); E(CAUSE_BLKIO); E(CAUSE_MAX);
                E(SPIKE_MOVED); E(SPIKE_NO_RUNQUEUE);
                S(bpf_uprobe_opts); F(bpf_uprobe_opts, sz); F(bpf_uprobe_opts, ref_ctr_offset); F(bpf_uprobe_opts, bpf_cookie);
                F(bpf_uprobe_opts, retprobe); F(bpf_uprobe_opts, func_name);
                S(bpf_object_open_opts); F(bpf_object_open_opts, sz); F(bpf_object_open_opts, object_name); F(bpf_object_open_opts, relaxed_maps);
                F(bpf_object_open_opts, pin_root_path); F(bpf_object_open_opts, kconfig); F(bpf_object_open_opts, btf_custom_path);
                F(bpf_object_open_opts, kernel_log_buf); F(bpf_object_open_opts, kernel_log_size); F(bpf_object_open_opts, kernel_log_level);
                S(perf_buffer_raw_opts); F(perf_buffer_raw_opts, sz); F(perf_buffer_raw_opts, cpu_cnt); F(perf_buffer_raw_opts, cpus);
                F(perf_buffer_raw_opts, map_keys);
                S(bpf_stack_build_id); F(bpf_stack_build_id, status); F(bpf_stack_build_id, build_id); F(bpf_stack_build_id, offset);
                E(BPF_STACK_BUILD_ID_EMPTY); E(BPF_STACK_BUILD_ID_VALID); E(BPF_STACK_BUILD_ID_IP); E(BPF_BUILD_ID_SIZE);
                S(perf_event_header); F(perf_event_header, type); F(perf_event_header, misc); F(perf_event_header, size);
                S(perf_event_attr); F(perf_event_attr, type); F(perf_event_attr, size); F(perf_event_attr, config);
                F(perf_event_attr, sample_period); F(perf_event_attr, sample_type); F(perf_event_attr, read_format);
                F(perf_event_attr, wakeup_watermark);
                { struct perf_event_attr a = {0}; a.watermark = 1; printf("perf_event_attr.watermark_bit=%d\n", __builtin_ctzll(*(unsigned long long *)((char *)&a + 40))); }
                E(PERF_TYPE_SOFTWARE); E(PERF_COUNT_SW_BPF_OUTPUT); E(PERF_SAMPLE_RAW); E(PERF_RECORD_SAMPLE); E(PERF_RECORD_LOST);
                E(OP_MMAP); E(OP_BRK); E(OP_MALLOC); E(OP_POSIX_MEMALIGN); E(OP_FREE); E(OP_GO_LARGE); E(OP_EXEC_STOPPED); E(OP_GC_PAUSE); E(OP_MPROTECT); E(OP_MADVISE); E(OP_NEW); E(OP_NEW_ARRAY); E(OP_DELETE); E(OP_DELETE_ARRAY);
                E(STAT_INFLIGHT_DROPPED); E(STAT_LIVE_DROPPED); E(STAT_HIST_FULL);
                printf("COOKIE_JEMALLOC_CALLOC=%llu\n", (unsigned long long)ALLOCLAT_COOKIE(2, OP_CALLOC));
                printf("COOKIE_FLAGGED_ALLOCATOR=%u\n", COOKIE_ALLOCATOR((1ULL << 16) | ALLOCLAT_COOKIE(2, OP_CALLOC)));
                printf("COOKIE_FLAGGED_OP=%u\n", COOKIE_OP((1ULL << 16) | ALLOCLAT_COOKIE(2, OP_CALLOC)));
                return 0;
            }
            """);
        Run("gcc", $"-Wall -Werror -I{root}/bpf -o {exe} {src}");
        var result = new Dictionary<string, long>();
        foreach (var line in Run(exe, "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = line.LastIndexOf('=');
            result[line[..eq]] = long.Parse(line[(eq + 1)..]);
        }
        Directory.Delete(dir, true);
        return result;
    }

    private static string Run(string file, string args) =>
        ProcessRunner.Run(file, args.Split(' ', StringSplitOptions.RemoveEmptyEntries), timeoutSeconds: 60).Stdout;
}
