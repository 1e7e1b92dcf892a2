using Tracer.Core;
using Tracer.Native;

namespace Tracer.Probes;

/// <summary>
/// Calibrates at start what the malloc-family probes cost on this host, through the same path that records a
/// target's latencies: the collector makes itself a target for a moment, puts precise mode's entry and return
/// programs on two functions of known cost (<see cref="CalibrationLibrary"/>: each returns at once, in less than a
/// nanosecond), calls them with an argument the size filter keeps (a large "block" of glibc's), and reads the latencies the kernel side records
/// for them from the perf buffer, as it would a target's. Their median is the bias every recorded latency carries:
/// one figure for functions whose first instruction the kernel emulates (a push, as glibc's malloc starts with) and
/// one for those it single-steps (glibc's free starts with a test). The same calls timed with the collector not a
/// target give what a target's small calls pay for their traps (the programs exit early).
/// </summary>
public static class ProbeCalibration
{
    /// <summary>Recorded calls of each entry kind below which the calibration is not trusted.</summary>
    public const int MinSamples = 200;

    private const int Pairs = 1000, Rounds = 5;

    /// <summary>
    /// Runs the calibration; must be called before any target is added (nothing else may be recorded meanwhile).
    /// Throws <see cref="ProbeCalibrationException"/> with the reason when it cannot give a figure.
    /// </summary>
    internal static ProbeCost Measure(BpfObject obj, TargetMaps targets, PerfBufferReader reader, AllocEventDecoder decoder, ulong minSize, bool subtract)
    {
        int self = Environment.ProcessId;
        using var library = CalibrationLibrary.Load(CalibrationLibrary.DefaultPath);
        var (emulated, stepped) = UprobeCost.Sites(library);
        nuint argument = UprobeCost.Argument(library, minSize);
        var samples = new CalibrationSamples(self);
        decoder.Recorder = samples;

        double libcPair = UprobeCost.LibcPairNs(4096, Pairs, Rounds);
        double bare = UprobeCost.CallPairNs(library, argument, Pairs, Rounds);
        var links = new List<BpfLink>(4);
        double small, traced;
        try
        {
            UprobeCost.AttachInSelf(obj, emulated, links);
            UprobeCost.AttachInSelf(obj, stepped, links);
            // Not a target: every program exits early, as for a target's calls below the size filter.
            small = UprobeCost.CallPairNs(library, argument, Pairs, Rounds);
            // The calls are recorded while the perf buffer is read, as a target's are while tracing.
            using var stop = new CancellationTokenSource();
            var poller = new Thread(() =>
            {
                while (!stop.IsCancellationRequested)
                    reader.Poll(50);
            }) { IsBackground = true, Name = "calibration poll" };
            targets.Add(self);
            try
            {
                poller.Start();
                traced = UprobeCost.CallPairNs(library, argument, Pairs, Rounds);
            }
            finally
            {
                targets.Remove(self);
                stop.Cancel();
                poller.Join();
            }
        }
        finally
        {
            foreach (var link in links)
                link.Dispose();
            // Whatever happened, nothing of the collector's own is left to be read as a target's, or counted: the
            // run's counts start with its targets' calls.
            reader.Poll(0);
            decoder.Recorder = null;
            decoder.ResetCounts();
        }
        return Estimate(samples.Emulated, samples.Stepped, small - bare, traced - bare, libcPair, subtract);
    }

    /// <summary>
    /// The calibration's figures from its measurements: each bias is the median latency recorded for the calibration
    /// calls of that entry kind (the functions' own time, below a nanosecond, is not subtracted). Refused, with the
    /// reason, when too few calls were recorded or a figure is not above zero: a correction must never come from an
    /// accident.
    /// </summary>
    /// <param name="emulatedNs">latencies recorded for the function whose first instruction is emulated</param>
    /// <param name="steppedNs">the same for the function whose first instruction is single-stepped</param>
    /// <param name="smallPairNs">what a pair of calls (one of each kind) gains from the probes, not recorded</param>
    /// <param name="tracedPairNs">the same, both calls recorded</param>
    /// <param name="barePairNs">a libc malloc+free pair without probes</param>
    /// <param name="subtract">whether the bias is to be subtracted from recorded latencies</param>
    public static ProbeCost Estimate(IReadOnlyList<long> emulatedNs, IReadOnlyList<long> steppedNs, double smallPairNs, double tracedPairNs, double barePairNs, bool subtract)
    {
        ArgumentNullException.ThrowIfNull(emulatedNs);
        ArgumentNullException.ThrowIfNull(steppedNs);
        long Bias(IReadOnlyList<long> samples, string kind)
        {
            if (samples.Count < MinSamples)
                throw new ProbeCalibrationException($"{samples.Count} calls of {kind} entry recorded, fewer than {MinSamples}");
            long median = Median(samples);
            return median > 0 ? median : throw new ProbeCalibrationException($"the median latency recorded for calls of {kind} entry is {median} ns");
        }
        long emulated = Bias(emulatedNs, "emulated"), stepped = Bias(steppedNs, "single-stepped");
        if (smallPairNs <= 0)
            throw new ProbeCalibrationException($"calls with probes were not slower than without ({smallPairNs:0} ns more per pair)");
        return new ProbeCost(emulated, stepped, smallPairNs, Math.Max(tracedPairNs, smallPairNs), barePairNs, emulatedNs.Count + steppedNs.Count, subtract);
    }

    /// <summary>The median (the lower middle value of an even count), robust to the calls the host disturbed.</summary>
    public static long Median(IReadOnlyList<long> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
            throw new ArgumentException("no values", nameof(values));
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted[(sorted.Length - 1) / 2];
    }

    /// <summary>The calibration calls among what the kernel side records, by the operation their cookie names.</summary>
    private sealed class CalibrationSamples(int self) : IAllocationRecorder
    {
        public List<long> Emulated { get; } = new(Pairs * Rounds);

        public List<long> Stepped { get; } = new(Pairs * Rounds);

        public void Record(in SeriesKey key, ulong size, long latencyNs, ReadOnlySpan<byte> comm)
        {
            if (key.Pid != self || key.Allocator != Allocators.Glibc)
                return;
            if (key.Op == AllocOp.Malloc)
                Emulated.Add(latencyNs);
            else if (key.Op == AllocOp.Free)
                Stepped.Add(latencyNs);
        }
    }
}

/// <summary>The probes' cost could not be calibrated; the message says why.</summary>
public sealed class ProbeCalibrationException(string message) : Exception(message);
