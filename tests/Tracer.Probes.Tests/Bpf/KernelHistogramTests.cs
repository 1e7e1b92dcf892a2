using System.Runtime.InteropServices;
using Tracer.Aggregation;
using Tracer.Core;
using Tracer.Elf;

namespace Tracer.Probes.Tests.Bpf;

/// <summary>
/// The kernel's histograms in the real kernel: the test process probes its own libc malloc and makes a known number
/// of calls of a size nothing else here asks for, with every call both counted in the kernel and sent as an event,
/// so the same calls' exact latencies can be held against their buckets.
/// </summary>
public class KernelHistogramTests
{
    private const int Calls = 400;
    private const int Size = 20 << 20;

    [Fact]
    public void TheKernelsBucketsGiveTheFiguresOfTheSameCallsExactLatencies()
    {
        using var source = BpfAllocationSource.Load(new ProbeOptions { MinSize = 16 << 20, KernelHistograms = true, KernelHistogramsAndEvents = true });
        Assert.True(source.KernelHistograms);
        int self = Environment.ProcessId;
        source.AddTarget(self);
        Assert.Equal(1, source.AttachUprobes([LibcMalloc(self)], self));

        for (int i = 0; i < Calls; i++)
            Marshal.FreeHGlobal(Marshal.AllocHGlobal(Size));

        var key = new SeriesKey(self, Allocators.Glibc, AllocOp.Malloc, SizeClass.Of(Size));
        var recorder = new SplitRecorder(key);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (recorder.Latencies.Count < Calls && DateTime.UtcNow < deadline)
            source.Poll(100, recorder);
        source.EndInterval(recorder, final: true);

        Assert.Equal(Calls, recorder.Latencies.Count);
        var fromEvents = Assert.Single(recorder.Events.TakeSnapshot()).Stats;
        var fromKernel = Assert.Single(recorder.Kernel.TakeSnapshot()).Stats;
        Assert.Equal(Calls, fromKernel.Count);
        Assert.Equal((long)Calls * Size, fromKernel.Bytes);
        // The same buckets as the collector's own histograms: identical figures.
        Assert.Equal(fromEvents, fromKernel);
        long[] sorted = [.. recorder.Latencies.Order()];
        foreach (var (permyriad, got) in new[] { (5000, fromKernel.P50), (9000, fromKernel.P90), (9900, fromKernel.P99), (10000, fromKernel.Max) })
        {
            long truth = sorted[Math.Max(1, (permyriad * sorted.Length + 9999) / 10000) - 1];
            Assert.True(Math.Abs(got - truth) <= truth * 0.001, $"p{permyriad / 100.0}: {got} from the kernel's buckets, {truth} exact");
        }
    }

    [Fact]
    public void CallsAreCountedInTheKernelNotSentAndEachOnceOverManyIntervals()
    {
        using var source = BpfAllocationSource.Load(new ProbeOptions { MinSize = 16 << 20, KernelHistograms = true });
        int self = Environment.ProcessId;
        source.AddTarget(self);
        Assert.Equal(1, source.AttachUprobes([LibcMalloc(self)], self));
        var key = new SeriesKey(self, Allocators.Glibc, AllocOp.Malloc, SizeClass.Of(Size));
        var recorder = new SplitRecorder(key);

        // Intervals of 0 to 9 calls, each read as the next begins: the two tables take turns. A block read is set back
        // to zero, not deleted, so the calls of later intervals find it in place.
        long made = 0;
        var perInterval = new List<long>();
        int keptAfterCalls = 0;
        for (int interval = 0; interval < 30; interval++)
        {
            for (int i = 0; i < interval % 10; i++)
                Marshal.FreeHGlobal(Marshal.AllocHGlobal(Size));
            made += interval % 10;
            source.Poll(0, recorder);
            source.EndInterval(recorder, final: interval == 29);
            perInterval.Add(recorder.Kernel.TakeSnapshot().Sum(s => s.Stats.Count));
            if (interval == 9)
                keptAfterCalls = source.KernelHistogramBlocks;
        }

        Assert.Empty(recorder.Latencies);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)(i % 10)), perInterval);
        Assert.Equal(made, source.ReadCounters().Events);
        Assert.True(keptAfterCalls > 0, "the blocks of the interval just read were deleted, not kept at zero");
        // A block that counted nothing for a whole turn of its table is deleted: the tables hold what is in use.
        source.EndInterval(recorder, final: true);
        Assert.Equal(0, source.KernelHistogramBlocks);
        Assert.Equal(0, recorder.Kernel.TakeSnapshot().Sum(s => s.Stats.Count));
    }

    [Fact]
    public void GlibcsFreeIsMeasuredForALargeBlockWithTheUsableSizeItsHeaderSays()
    {
        // One block allocated before anything is probed: glibc's free needs no record of the block's allocation.
        nint early = Marshal.AllocHGlobal(Size);
        ulong usable = (ulong)malloc_usable_size(early);
        Assert.True(usable >= Size, $"malloc_usable_size {usable}");
        using var source = BpfAllocationSource.Load(new ProbeOptions { MinSize = 16 << 20, KernelHistograms = true });
        int self = Environment.ProcessId;
        source.AddTarget(self);
        Assert.Equal(2, source.AttachUprobes([LibcSite(self, "malloc", AllocOp.Malloc), LibcSite(self, "free", AllocOp.Free)], self));

        Marshal.FreeHGlobal(early);
        for (int i = 0; i < Calls; i++)
            Marshal.FreeHGlobal(Marshal.AllocHGlobal(Size));
        // Blocks below the size filter are not measured, however many.
        for (int i = 0; i < Calls; i++)
            Marshal.FreeHGlobal(Marshal.AllocHGlobal(1 << 20));

        var key = new SeriesKey(self, Allocators.Glibc, AllocOp.Free, SizeClass.Of(usable));
        var recorder = new SplitRecorder(key);
        source.Poll(0, recorder);
        source.EndInterval(recorder, final: true);
        var free = Assert.Single(recorder.Kernel.TakeSnapshot()).Stats;
        Assert.Equal(Calls + 1, free.Count);
        Assert.Equal((long)(Calls + 1) * (long)usable, free.Bytes);
    }

    [DllImport("libc", EntryPoint = "malloc_usable_size")]
    private static extern nuint malloc_usable_size(nint block);

    private static UprobeSite LibcMalloc(int pid) => LibcSite(pid, "malloc", AllocOp.Malloc);

    private static UprobeSite LibcSite(int pid, string function, AllocOp op)
    {
        string libc = ProcMaps.ExecutableFiles(ProcMaps.Read(pid)).First(f => Path.GetFileName(f).StartsWith("libc.so", StringComparison.Ordinal));
        using var elf = ElfFile.Open(libc);
        Assert.True(elf.Symbols.TryGetDefinedFunction(function, out var symbol));
        return new UprobeSite(libc, elf.VirtualAddressToFileOffset(symbol.Value), function, Allocators.Glibc, op);
    }

    /// <summary>Calls sent as events into one table, calls counted by the kernel into another: only the test's series.</summary>
    private sealed class SplitRecorder(SeriesKey key) : IAllocationRecorder
    {
        public SeriesTable Events { get; } = new();
        public SeriesTable Kernel { get; } = new();
        public List<long> Latencies { get; } = [];

        public void Record(in SeriesKey k, ulong size, long latencyNs, ReadOnlySpan<byte> comm)
        {
            if (k != key)
                return;
            Events.Record(k, size, latencyNs, comm);
            Latencies.Add(latencyNs);
        }

        public void RecordMany(in SeriesKey k, ulong size, long latencyNs, long count, ReadOnlySpan<byte> comm)
        {
            if (k == key)
                Kernel.RecordMany(k, size, latencyNs, count, comm);
        }
    }
}
