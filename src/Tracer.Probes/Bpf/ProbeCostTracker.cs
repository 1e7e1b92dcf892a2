using System.Diagnostics;
using Tracer.Core;
using Tracer.Native;

namespace Tracer.Probes;

/// <summary>
/// Keeps the probes' cost current on each CPU while tracing. The start-up calibration gives one figure, but on a
/// virtual machine one CPU's traps can cost half as much again as another's, for tens of milliseconds or for seconds,
/// and a figure taken at start is then wrong for the calls of the whole run. So a background thread visits each CPU
/// the collector may run on in turn and, pinned there, calls the calibration functions a few times
/// (<see cref="PairsPerBurst"/> pairs, each CPU every <see cref="Period"/>, and never more than
/// <see cref="MaxShare"/> of one CPU's time in all: on many CPUs, or where traps are slow, each is visited less
/// often). Their probes carry the calibration allocator id:
/// the kernel side records them for the collector alone, never as a target's calls, and sends each as an event on
/// the CPU it returned on. Once a CPU has a full window of each kind, each burst there updates its figures (the
/// medians of the last <see cref="Window"/> calls) in <see cref="LatencyCorrection"/>, which hands them to the
/// kernel's histograms. The samples are taken on the polling thread, as every event is.
/// </summary>
internal sealed class ProbeCostTracker : IDisposable
{
    /// <summary>Pairs of calls (one of each function) per visit of a CPU.</summary>
    public const int PairsPerBurst = 8;

    /// <summary>Calls of each kind a CPU's figure is the median of: the last three visits.</summary>
    public const int Window = 6 * PairsPerBurst;

    /// <summary>Time between two visits of one CPU, at most: the cost of a trap changes within tens of milliseconds.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(10);

    /// <summary>The share of one CPU's time the visits may take.</summary>
    public const double MaxShare = 0.05;

    private readonly LatencyCorrection _correction;
    private readonly CalibrationLibrary _library;
    private readonly List<BpfLink> _links;
    private readonly nuint _argument;
    private readonly int[] _cpus;
    private readonly CpuWindow?[] _windows = new CpuWindow?[Tracer.Native.Interop.ProbeBias.MaxCpus];
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private long _updates;
    private long _minBias = long.MaxValue, _maxBias, _minStepped = long.MaxValue, _maxStepped;

    private ProbeCostTracker(LatencyCorrection correction, CalibrationLibrary library, List<BpfLink> links, nuint argument, int[] cpus)
    {
        _correction = correction;
        _library = library;
        _links = links;
        _argument = argument;
        _cpus = cpus;
        _thread = new Thread(Run) { IsBackground = true, Name = "alloclat-probe-cost" };
    }

    /// <summary>The CPUs visited.</summary>
    public IReadOnlyList<int> Cpus => _cpus;

    /// <summary>What was measured so far: read after the tracking stopped, or as a glimpse while it runs.</summary>
    public ProbeCostTracking Tracking => new(_cpus, Interlocked.Read(ref _updates), _minBias, _maxBias, _minStepped, _maxStepped);

    /// <summary>
    /// Places the probes on the calibration functions of the collector's own process and starts visiting the CPUs.
    /// Null, with the reason in <paramref name="problem"/>, when that cannot be done: the start-up figures are then
    /// kept for the whole run.
    /// </summary>
    public static ProbeCostTracker? Start(BpfObject obj, LatencyCorrection correction, ulong minSize, out string? problem)
    {
        int[] cpus;
        CalibrationLibrary? library = null;
        var links = new List<BpfLink>(4);
        try
        {
            cpus = CpuAffinity.OfCurrentThread();
            library = CalibrationLibrary.Load(CalibrationLibrary.DefaultPath);
            var (emulated, stepped) = UprobeCost.Sites(library);
            // Both take their argument as the size: each call is recorded whatever the other did.
            foreach (var site in new[] { emulated, stepped })
                UprobeCost.AttachInSelf(obj, site with { Allocator = Allocators.Calibration, EntryProgram = BpfPrograms.AllocEnterSize1 }, links);
        }
        catch (Exception e) when (e is LibbpfException or IOException or InvalidOperationException or DllNotFoundException
                                      or EntryPointNotFoundException or Tracer.Elf.ElfFormatException)
        {
            foreach (var link in links)
                link.Dispose();
            library?.Dispose();
            problem = e.Message.Split('\n')[0];
            return null;
        }
        problem = null;
        var tracker = new ProbeCostTracker(correction, library, links, UprobeCost.Argument(library, minSize), cpus);
        tracker._thread.Start();
        return tracker;
    }

    /// <summary>One call of a calibration function, as the kernel sent it: on the polling thread.</summary>
    public void OnCall(int cpu, AllocOp kind, long latencyNs)
    {
        if ((uint)cpu >= (uint)_windows.Length)
            return;
        var w = _windows[cpu] ??= new CpuWindow();
        if (kind == AllocOp.Malloc)
            w.Emulated.Add(latencyNs);
        else if (kind == AllocOp.Free)
            w.Stepped.Add(latencyNs);
        else
            return;
        // A figure per visit: when both kinds are full and each has a visit's worth of calls not yet used.
        if (w.Emulated.Full && w.Stepped.Full && w.Emulated.Fresh >= PairsPerBurst && w.Stepped.Fresh >= PairsPerBurst)
        {
            long bias = w.Emulated.Median(), stepped = w.Stepped.Median();
            _correction.Track(cpu, bias, stepped);
            (_minBias, _maxBias) = (Math.Min(_minBias, bias), Math.Max(_maxBias, bias));
            (_minStepped, _maxStepped) = (Math.Min(_minStepped, stepped), Math.Max(_maxStepped, stepped));
            Interlocked.Increment(ref _updates);
        }
    }

    private void Run()
    {
        var token = _stop.Token;
        var slot = Period / _cpus.Length;
        while (!token.IsCancellationRequested)
        {
            foreach (int cpu in _cpus)
            {
                long start = Stopwatch.GetTimestamp();
                // A CPU that went offline or left the collector's cpuset is skipped, not fatal.
                if (CpuAffinity.TrySetCurrentThread([cpu]))
                    _library.CallPairs(_argument, PairsPerBurst);
                var took = Stopwatch.GetElapsedTime(start);
                var rest = Max(slot - took, took * (1 / MaxShare - 1));
                if (token.WaitHandle.WaitOne(rest))
                    return;
            }
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Stops the visits and removes the probes; events already sent are ignored by whoever reads them.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        if (_thread.IsAlive)
            _thread.Join();
        foreach (var link in _links)
            link.Dispose();
        _library.Dispose();
        _stop.Dispose();
    }

    /// <summary>The last <see cref="Window"/> calls of each kind on one CPU.</summary>
    private sealed class CpuWindow
    {
        public readonly Ring Emulated = new(), Stepped = new();
    }

    private sealed class Ring
    {
        private readonly long[] _values = new long[Window];
        private int _next, _count;

        public bool Full => _count == Window;

        /// <summary>Calls added since the last median.</summary>
        public int Fresh { get; private set; }

        public void Add(long value)
        {
            _values[_next] = value;
            _next = (_next + 1) % Window;
            _count = Math.Min(_count + 1, Window);
            Fresh++;
        }

        /// <summary>The median of the window (call when <see cref="Full"/>), as the start-up calibration takes it.</summary>
        public long Median()
        {
            Fresh = 0;
            return ProbeCalibration.Median(_values);
        }
    }
}
