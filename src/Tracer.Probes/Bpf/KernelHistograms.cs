using Tracer.Core;
using Tracer.Native;
using Tracer.Native.Interop;

namespace Tracer.Probes;

/// <summary>
/// The latency histograms the kernel builds for precise mode (bpf/loghist.bpf.h): per series, in HdrHistogram's own
/// buckets kept in blocks of <see cref="HistBlock.Buckets"/>, so the histogram filled from them is the one the calls'
/// exact latencies would have filled. There are two tables; at the end of each interval the programs are switched to
/// the other one and the one they filled is read and emptied, so every call is counted once and none is lost between
/// two reads. Runs on the polling thread.
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
    private readonly BpfMap[] _blocks;
    private readonly uint _mode;
    // Read a batch at a time: a block is 2 KiB.
    private const int Batch = 128;
    private readonly HistBlockKey[] _keys = new HistBlockKey[Batch];
    private readonly HistBlock[] _values = new HistBlock[Batch];
    private readonly HistBlockKey[] _countedKeys = new HistBlockKey[Batch];
    private readonly HistBlock[] _cleared = new HistBlock[Batch];
    private readonly List<HistBlockKey> _unused = new();
    private readonly Dictionary<uint, byte[]> _comms = new();
    // Processes that exited, kept through two reads: what a process counted just before its exit is read after it.
    private HashSet<uint> _exited = new(), _exitedBefore = new();
    private uint _slot;
    private long _calls;

    /// <param name="alsoEvents">count every call in the tables and send it as an event too (to compare the two)</param>
    public KernelHistograms(BpfObject obj, bool alsoEvents = false)
    {
        _control = obj.Map(BpfMaps.HistControl);
        _stepped = obj.Map(BpfMaps.HistStepped);
        _probeBias = obj.Map(BpfMaps.ProbeBias);
        _blocks = [obj.Map(BpfMaps.HistBlocks0), obj.Map(BpfMaps.HistBlocks1)];
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
    /// Switches the programs to the other table and hands what the previous one counted to the recorder. At the end
    /// (<paramref name="final"/>) both are read.
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

    /// <summary>Blocks in both tables (counting, or kept at zero for the next turn).</summary>
    internal int BlockEntries()
    {
        int n = 0;
        foreach (var map in _blocks)
        {
            var cursor = default(BatchCursor);
            while (!cursor.Ended)
                n += map.ReadBatch(_keys, _values, ref cursor);
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
    /// Reads the table the programs left. A block that counted calls is read and set back to zero with its name kept,
    /// so the programs find it next time and add to it without making it; only a block that stayed at zero for a
    /// whole turn of its table is deleted. The tables then hold the blocks in use.
    /// </summary>
    private void Read(uint slot, IAllocationRecorder recorder)
    {
        var map = _blocks[slot];
        _unused.Clear();
        var cursor = default(BatchCursor);
        while (!cursor.Ended)
        {
            int n = map.ReadBatch(_keys, _values, ref cursor), counted = 0;
            for (int i = 0; i < n; i++)
            {
                if (!OnBlock(_keys[i], _values[i], recorder))
                {
                    _unused.Add(_keys[i]);
                    continue;
                }
                _countedKeys[counted] = _keys[i];
                _cleared[counted] = _values[i];
                _cleared[counted].Clear();
                counted++;
            }
            // The batch's buckets of the table are behind the cursor: rewriting their entries leaves the rest to read.
            map.UpdateBatch<HistBlockKey, HistBlock>(_countedKeys.AsSpan(0, counted), _cleared.AsSpan(0, counted));
        }
        map.DeleteBatch<HistBlockKey>(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_unused));
    }

    /// <summary>Records a block's calls; false when it counted none.</summary>
    private bool OnBlock(in HistBlockKey key, in HistBlock block, IAllocationRecorder recorder)
    {
        var series = new SeriesKey((int)key.Series.Pid, key.Series.Allocator, (AllocOp)key.Series.Op, key.Series.SizeClass);
        if (!_comms.TryGetValue(key.Series.Pid, out var comm))
            _comms[key.Series.Pid] = comm = new byte[AllocEvent.CommLength];
        // The program that made the block named it; a block kept from an earlier turn keeps that name.
        if (block.HasComm)
            block.CopyCommTo(comm);
        ulong bytes = block.Bytes;
        bool any = false;
        for (int i = 0; i < HistBlock.Buckets; i++)
        {
            uint count = block.Count(i);
            if (count == 0)
                continue;
            // The programs corrected the latency before choosing its bucket (SetCorrectedOps, SetBias).
            long latency = LowestValue(((key.Block << HistBlock.Bits) | (uint)i));
            // The block's bytes go with its first bucket: the recorder adds them to the series once.
            recorder.RecordMany(series, bytes, latency, count, comm);
            bytes = 0;
            Interlocked.Add(ref _calls, count);
            any = true;
        }
        return any;
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
