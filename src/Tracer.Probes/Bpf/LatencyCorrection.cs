using Tracer.Core;
using Tracer.Elf.Disassembly;
using Tracer.Native.Interop;

namespace Tracer.Probes;

/// <summary>
/// Subtracts the probes' calibrated cost from the latencies they record: the one place a correction is decided,
/// for every consumer of recorded latencies (the perf-buffer decoder, and any reader of latencies aggregated in the
/// kernel). Which of the two calibrated figures applies depends on the probed function's first instruction
/// (<see cref="EntryInstruction"/>): learnt per allocator and operation as sites are attached. The figures are kept
/// per CPU: they start as the start-up calibration's on every CPU and follow what <see cref="ProbeCostTracker"/>
/// measures on each while tracing, since one virtual CPU's traps can cost half as much again as another's for
/// seconds at a time.
/// </summary>
public sealed class LatencyCorrection
{
    private const int Ops = (int)AllocOp.Count;

    // Per allocator and operation: 0 not yet seen (the emulated figure applies), 1 emulated, 2 single-stepped.
    private readonly byte[] _entry = new byte[256 * Ops];
    // Per CPU: the figures calls returning there carry (a CPU beyond the table keeps the start-up figures).
    private readonly long[] _bias = new long[ProbeBias.MaxCpus], _steppedBias = new long[ProbeBias.MaxCpus];

    public LatencyCorrection(ProbeCost cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        Cost = cost;
        Array.Fill(_bias, cost.BiasNs);
        Array.Fill(_steppedBias, cost.SteppedBiasNs);
    }

    /// <summary>The start-up calibration.</summary>
    public ProbeCost Cost { get; }

    /// <summary>Called with each CPU's new figures (emulated, single-stepped), so the kernel's histograms apply them too.</summary>
    public Action<int, long, long>? BiasTracked { get; set; }

    /// <summary>
    /// Called once for each allocator and operation found to be probed on a single-stepped function, so a reader
    /// that corrects elsewhere (the kernel's histograms) applies the same figure.
    /// </summary>
    public Action<byte, AllocOp>? SingleSteppedLearnt { get; set; }

    /// <summary>The operations whose latencies are corrected, whatever the allocator.</summary>
    public static IEnumerable<AllocOp> CorrectedOps =>
        Enumerable.Range(0, Ops).Select(i => (AllocOp)i).Where(ProbeCost.IsCorrected);

    /// <summary>
    /// The latency to record for a call of <paramref name="op"/> of <paramref name="allocator"/> measured as
    /// <paramref name="latencyNs"/>, returning on <paramref name="cpu"/>: less the bias of its probes there, never
    /// below zero; unchanged when the figures are not to be subtracted (<c>--raw-latency</c>) or the operation is not
    /// measured by these probes.
    /// </summary>
    public long Correct(byte allocator, AllocOp op, long latencyNs, int cpu = 0)
    {
        if (!Cost.Subtracted || !ProbeCost.IsCorrected(op) || (int)op >= Ops)
            return latencyNs;
        var (bias, stepped) = BiasOn(cpu);
        return ProbeCost.Subtract(latencyNs, _entry[allocator * Ops + (int)op] == 2 ? stepped : bias);
    }

    /// <summary>The figures calls returning on <paramref name="cpu"/> carry now: emulated entry, single-stepped entry.</summary>
    public (long BiasNs, long SteppedBiasNs) BiasOn(int cpu) =>
        (uint)cpu < ProbeBias.MaxCpus ? (_bias[cpu], _steppedBias[cpu]) : (Cost.BiasNs, Cost.SteppedBiasNs);

    /// <summary>Takes new figures for <paramref name="cpu"/>, measured there just now; ignored for a CPU beyond the table.</summary>
    public void Track(int cpu, long biasNs, long steppedBiasNs)
    {
        if ((uint)cpu >= ProbeBias.MaxCpus || biasNs <= 0 || steppedBiasNs <= 0)
            return;
        _bias[cpu] = biasNs;
        _steppedBias[cpu] = steppedBiasNs;
        if (Cost.Subtracted)
            BiasTracked?.Invoke(cpu, biasNs, steppedBiasNs);
    }

    /// <summary>Whether calls of this allocator and operation are corrected by the single-stepped figure.</summary>
    public bool IsSingleStepped(byte allocator, AllocOp op) => (int)op < Ops && _entry[allocator * Ops + (int)op] == 2;

    /// <summary>
    /// Learns, from the first instruction of each site's function, which figure its calls carry. A site's
    /// allocator and operation are learnt once: builds of one allocator start their functions alike.
    /// </summary>
    public void Learn(IEnumerable<UprobeSite> sites)
    {
        ArgumentNullException.ThrowIfNull(sites);
        foreach (var site in sites)
        {
            if (site.EntryProgram is null || site.ReturnOffsets is not null || (int)site.Op >= Ops || !ProbeCost.IsCorrected(site.Op))
                continue;
            int slot = site.Allocator * Ops + (int)site.Op;
            if (_entry[slot] != 0)
                continue;
            if (ReadEntry(site.Path, site.FileOffset) is { } code)
                Set(site.Allocator, site.Op, EntryInstruction.IsSingleStepped(code));
        }
    }

    /// <summary>Marks calls of an allocator and operation as probed on a function of that entry kind.</summary>
    public void Learn(byte allocator, AllocOp op, bool singleStepped)
    {
        if ((int)op < Ops)
            Set(allocator, op, singleStepped);
    }

    private void Set(byte allocator, AllocOp op, bool singleStepped)
    {
        ref byte entry = ref _entry[allocator * Ops + (int)op];
        byte value = singleStepped ? (byte)2 : (byte)1;
        if (entry == value)
            return;
        entry = value;
        if (singleStepped)
            SingleSteppedLearnt?.Invoke(allocator, op);
    }

    private static byte[]? ReadEntry(string path, ulong offset)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            file.Position = (long)offset;
            var code = new byte[EntryInstruction.MaxLength];
            int read = file.ReadAtLeast(code, code.Length, throwOnEndOfStream: false);
            return read > 0 ? code[..read] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
