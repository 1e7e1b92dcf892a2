using Tracer.Core;
using Tracer.Native;
using Tracer.Native.Interop;

namespace Tracer.Probes;

/// <summary>
/// The latency histograms the kernel builds for precise mode (bpf/loghist.bpf.h): per series and CPU, in
/// HdrHistogram's own buckets, so the histogram filled from them is the one the calls' exact latencies would have
/// filled. There are two sets of tables; at the end of each interval the programs are switched to the other set and
/// the one they filled is read and emptied, so every call is counted once and none is lost between two reads.
/// Runs on the polling thread.
/// </summary>
internal sealed class KernelHistograms
{
    /// <summary>Values below this are their own bucket; above, each power of two has half as many linear buckets.</summary>
    public const int SubBuckets = 2048;
    private const int HalfBits = 10;
    private const long HighestNs = 60_000_000_000;

    private readonly BpfMap _control;
    private readonly BpfMap _stepped;
    private readonly BpfMap _probeBias;
    private HistControl _settings;
    private readonly BpfMap[] _series;
    private readonly BpfMap[] _buckets;
    private readonly uint _mode;
    // Read a batch at a time: keys, and every possible CPU's values of each.
    private const int Batch = 1024;
    private readonly HistSeriesKey[] _seriesKeys = new HistSeriesKey[Batch];
    private readonly HistSeries[] _seriesValues = new HistSeries[Batch * Libbpf.PossibleCpus];
    private readonly HistKey[] _bucketKeys = new HistKey[Batch];
    private readonly ulong[] _bucketValues = new ulong[Batch * Libbpf.PossibleCpus];
    private readonly ulong[] _zeros = new ulong[Batch * Libbpf.PossibleCpus];
    private readonly List<HistKey> _counted = new(), _unused = new();
    private readonly Dictionary<HistSeriesKey, Totals> _interval = new();
    private readonly Dictionary<uint, byte[]> _comms = new();
    // Processes that exited, kept through two reads: what a process counted just before its exit is read after it.
    private HashSet<uint> _exited = new(), _exitedBefore = new();
    private IAllocationRecorder? _recorder;
    private uint _slot;
    private long _calls;

    private sealed class Totals
    {
        public readonly byte[] Comm = new byte[AllocEvent.CommLength];
        public ulong Count, Bytes, SumNs, MaxNs;
        public bool BytesGiven;
    }

    /// <param name="alsoEvents">count every call in the tables and send it as an event too (to compare the two)</param>
    public KernelHistograms(BpfObject obj, bool alsoEvents = false)
    {
        _control = obj.Map(BpfMaps.HistControl);
        _stepped = obj.Map(BpfMaps.HistStepped);
        _probeBias = obj.Map(BpfMaps.ProbeBias);
        _series = [obj.Map(BpfMaps.HistSeries0), obj.Map(BpfMaps.HistSeries1)];
        _buckets = [obj.Map(BpfMaps.HistBuckets0), obj.Map(BpfMaps.HistBuckets1)];
        _mode = alsoEvents ? HistControl.AndEvents : HistControl.Aggregate;
        Switch(0);
    }

    /// <summary>
    /// Has the programs take the probes' cost (<see cref="SetBias"/>) off each latency of the corrected operations
    /// before they count it, as the event decoder takes it off each event's. Applied in the kernel because a bucket's
    /// value corrected afterwards would land in the bucket below whenever the bucket is wider than the cost (every
    /// bucket above 2 ms for a 1 µs cost).
    /// </summary>
    public void SetCorrectedOps(IEnumerable<AllocOp> corrected)
    {
        uint ops = 0;
        foreach (var op in corrected)
            ops |= 1u << ((int)op & 31);
        _settings.CorrectedOps = ops;
        Switch(_slot);
    }

    /// <summary>
    /// The probes' cost on <paramref name="cpu"/>, taken off the corrected latencies of the calls that return there:
    /// <paramref name="biasNs"/> for a function whose first instruction is emulated, <paramref name="steppedBiasNs"/>
    /// for those marked by <see cref="MarkSingleStepped"/>.
    /// </summary>
    public void SetBias(int cpu, long biasNs, long steppedBiasNs)
    {
        if ((uint)cpu >= ProbeBias.MaxCpus)
            return;
        _probeBias.Update((uint)cpu, new ProbeBias
        {
            BiasNs = (uint)Math.Clamp(biasNs, 0, uint.MaxValue),
            SteppedBiasNs = (uint)Math.Clamp(steppedBiasNs, 0, uint.MaxValue),
        });
    }

    /// <summary>Marks an allocator's operation as probed on a function whose first instruction is single-stepped.</summary>
    public void MarkSingleStepped(byte allocator, AllocOp op) =>
        _stepped.Update(HistControl.SteppedIndex(allocator, (byte)op), 1u);

    /// <summary>Calls read from the tables so far.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Whether every call is sent as an event too (then <see cref="Calls"/> counts them twice over).</summary>
    public bool AlsoEvents => _mode == HistControl.AndEvents;

    /// <summary>
    /// Switches the programs to the other set of tables and hands what the previous one counted to the recorder.
    /// At the end (<paramref name="final"/>) both sets are read.
    /// </summary>
    public void Drain(IAllocationRecorder recorder, bool final)
    {
        uint filled = _slot;
        Switch(_slot ^ 1);
        Read(filled, recorder);
        if (final)
        {
            filled = _slot;
            Switch(_slot ^ 1);
            Read(filled, recorder);
        }
        // A process that exited before the last read has nothing left in either set: its name goes.
        foreach (uint pid in _exitedBefore)
            _comms.Remove(pid);
        (_exitedBefore, _exited) = (_exited, _exitedBefore);
        _exited.Clear();
    }

    /// <summary>Bucket entries in both sets of tables (counting or kept at zero for the next turn).</summary>
    internal int BucketEntries()
    {
        int n = 0;
        foreach (var map in _buckets)
        {
            var cursor = default(BatchCursor);
            while (!cursor.Ended)
                n += map.ReadBatchPerCpu(_bucketKeys, _bucketValues, ref cursor);
        }
        return n;
    }

    /// <summary>What is kept for a process's names can go: it has exited.</summary>
    public void ProcessExited(int pid) => _exited.Add((uint)pid);

    /// <summary>Counts in the tables again after <see cref="Disable"/>.</summary>
    public void Enable() => Switch(_slot);

    /// <summary>Stops counting in the tables: every call is an event again.</summary>
    public void Disable() => _control.Update(0u, _settings with { Slot = _slot, Enabled = 0 });

    private void Switch(uint slot)
    {
        _slot = slot;
        _control.Update(0u, _settings with { Slot = slot, Enabled = _mode });
    }

    /// <summary>
    /// Reads the set the programs left: every series entry is taken (read and deleted); a bucket that counted calls
    /// is read and set back to zero, so the programs find it next time and add to it without inserting, and only a
    /// bucket that stayed at zero for a whole turn of its set is deleted. The tables then hold the buckets in use.
    /// </summary>
    private void Read(uint slot, IAllocationRecorder recorder)
    {
        int cpus = Libbpf.PossibleCpus;
        _recorder = recorder;
        _interval.Clear();
        var cursor = default(BatchCursor);
        while (!cursor.Ended)
        {
            int n = _series[slot].ReadBatchPerCpu(_seriesKeys, _seriesValues, ref cursor, delete: true);
            for (int i = 0; i < n; i++)
                OnSeries(_seriesKeys[i], _seriesValues.AsSpan(i * cpus, cpus));
        }
        _counted.Clear();
        _unused.Clear();
        cursor = default;
        while (!cursor.Ended)
        {
            int n = _buckets[slot].ReadBatchPerCpu(_bucketKeys, _bucketValues, ref cursor);
            for (int i = 0; i < n; i++)
                (OnBucket(_bucketKeys[i], _bucketValues.AsSpan(i * cpus, cpus)) ? _counted : _unused).Add(_bucketKeys[i]);
        }
        var counted = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_counted);
        for (int i = 0; i < counted.Length; i += Batch)
        {
            var keys = counted.Slice(i, Math.Min(Batch, counted.Length - i));
            _buckets[slot].UpdateBatch<HistKey, ulong>(keys, _zeros.AsSpan(0, keys.Length * cpus));
        }
        _buckets[slot].DeleteBatch<HistKey>(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_unused));
        _recorder = null;
    }

    private void OnSeries(in HistSeriesKey key, ReadOnlySpan<HistSeries> perCpu)
    {
        var t = new Totals();
        foreach (ref readonly var v in perCpu)
        {
            t.Count += v.Count;
            t.Bytes += v.Bytes;
            t.SumNs += v.SumNs;
            t.MaxNs = Math.Max(t.MaxNs, v.MaxNs);
            if (t.Comm[0] == 0 && v.HasComm)
                v.CopyCommTo(t.Comm);
        }
        if (t.Comm[0] != 0)
        {
            if (!_comms.TryGetValue(key.Pid, out var known))
                _comms[key.Pid] = known = new byte[AllocEvent.CommLength];
            t.Comm.CopyTo(known, 0);
        }
        else if (_comms.TryGetValue(key.Pid, out var known))
            known.CopyTo(t.Comm, 0);
        _interval[key] = t;
    }

    /// <summary>Records a bucket's calls; false when it counted none.</summary>
    private bool OnBucket(in HistKey key, ReadOnlySpan<ulong> perCpu)
    {
        ulong count = 0;
        foreach (ulong v in perCpu)
            count += v;
        if (count == 0)
            return false;
        ulong bytes = 0;
        ReadOnlySpan<byte> comm;
        if (_interval.TryGetValue(key.Series, out var t))
        {
            if (!t.BytesGiven)
            {
                bytes = t.Bytes;
                t.BytesGiven = true;
            }
            comm = t.Comm;
        }
        else
            comm = _comms.TryGetValue(key.Series.Pid, out var known) ? known : default;
        var series = new SeriesKey((int)key.Series.Pid, key.Series.Allocator, (AllocOp)key.Series.Op, key.Series.SizeClass);
        // The programs corrected the latency before choosing its bucket (SetCorrectedOps, SetBias).
        long latency = LowestValue(key.Bucket);
        _recorder!.RecordMany(series, bytes, latency, (long)count, comm);
        Interlocked.Add(ref _calls, (long)count);
        return true;
    }

    /// <summary>The bucket of a latency, as the kernel computes it (HdrHistogram's counts index, 1 ns to 60 s, 3 digits).</summary>
    public static uint BucketOf(long ns)
    {
        ulong v = (ulong)Math.Clamp(ns, 0, HighestNs);
        if (v < SubBuckets)
            return (uint)v;
        int shift = 63 - System.Numerics.BitOperations.LeadingZeroCount(v) - HalfBits;
        return (uint)(((shift + 1) << HalfBits) + (int)(v >> shift) - (1 << HalfBits));
    }

    /// <summary>The lowest latency of a bucket: recorded into an HDR histogram of the same shape, it lands in that bucket.</summary>
    public static long LowestValue(uint bucket)
    {
        if (bucket < SubBuckets)
            return bucket;
        int shift = (int)(bucket >> HalfBits) - 1;
        long sub = (bucket & ((1 << HalfBits) - 1)) + (1 << HalfBits);
        return sub << shift;
    }
}
