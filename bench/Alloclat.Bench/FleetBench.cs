extern alias product;

using System.Buffers;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Alloclat.Bench;
using product::Tracer.Aggregation;
using product::Tracer.Core;
using product::Tracer.Fleet;

sealed partial class BenchRun
{
    /// <summary>
    /// Fleet mode in process, per series count: what keeping histograms adds to the collector's interval (the
    /// snapshot with histograms encoded, against the same snapshot without, same round), what publishing adds
    /// (the messages serialised), and how many series-intervals the aggregator merges per second on one thread
    /// (messages of three hosts parsed, merged, windows closed and formatted as line protocol).
    /// </summary>
    JsonObject Fleet()
    {
        var result = new JsonObject();
        int[] counts = Quick ? [1_000] : [1_000, 10_000];
        foreach (int n in counts)
        {
            var plain = new List<double>();
            var kept = new List<double>();
            var serialise = new List<double>();
            var merge = new List<double>();
            long messageBytes = 0;
            for (int round = 0; round < Rounds; round++)
            {
                plain.Add(SnapshotMs(n, keep: false, out _));
                kept.Add(SnapshotMs(n, keep: true, out var snapshot));
                var clock = Stopwatch.StartNew();
                var buffer = new ArrayBufferWriter<byte>(1 << 20);
                var messages = new List<byte[]>(n);
                foreach (var m in HistogramMessage.From(snapshot))
                {
                    buffer.ResetWrittenCount();
                    HistogramMessageFormat.Write(m, buffer);
                    messages.Add(buffer.WrittenSpan.ToArray());
                }
                serialise.Add(clock.Elapsed.TotalMilliseconds);
                messageBytes = messages.Sum(m => (long)m.Length) / n;
                merge.Add(MergeRate(messages, hosts: 3));
                snapshot = null;
                GC.Collect();
            }
            var extra = kept.Zip(plain, (k, p) => k - p).ToList();
            result[$"{n}"] = new JsonObject
            {
                ["snapshot_ms_without_histograms"] = Figure(Of(plain), 1),
                ["snapshot_ms_with_histograms"] = Figure(Of(kept), 1),
                ["histograms_extra_ms"] = Figure(Of(extra), 1),
                ["serialise_ms"] = Figure(Of(serialise), 1),
                ["message_bytes"] = messageBytes,
                ["aggregator_series_intervals_per_s"] = Figure(Of(merge), 0),
            };
            _table.Add($"fleet {n} series: snapshot {F(result[$"{n}"]!["snapshot_ms_without_histograms"], "0.0")} ms, with histograms {F(result[$"{n}"]!["snapshot_ms_with_histograms"], "0.0")} ms, serialise {F(result[$"{n}"]!["serialise_ms"], "0.0")} ms, {messageBytes} B/message; aggregator {F(result[$"{n}"]!["aggregator_series_intervals_per_s"])} series-intervals/s");
        }
        _skipped.Add("fleet at 100k series: one dense HDR histogram (1 ns to 60 s, 3 digits) takes 221 KB, so 100k series need 22 GB in the collector and again per open window in the aggregator; not run on this 24 GiB machine");
        return result;
    }

    static Series Of(IEnumerable<double> values)
    {
        var s = new Series();
        foreach (var v in values)
            s.Add(v);
        return s;
    }

    /// <summary>One interval of <paramref name="n"/> series with 20 calls each: the time TakeSnapshot takes.</summary>
    static double SnapshotMs(int n, bool keep, out IntervalSnapshot snapshot)
    {
        var table = new SeriesTable(keepHistograms: keep);
        var random = new Random(n);
        for (int i = 0; i < n; i++)
        {
            var key = new SeriesKey(1000 + i / 10, Allocators.Kernel, AllocOp.Mmap, (byte)(15 + i % 10));
            for (int c = 0; c < 20; c++)
                table.Record(key, 1 << 20, 1000 + random.Next(100_000), "bench"u8);
        }
        var clock = Stopwatch.StartNew();
        var series = table.TakeSnapshot();
        double ms = clock.Elapsed.TotalMilliseconds;
        snapshot = new IntervalSnapshot(1_000_000_000, 2_000_000_000, "bench-1", series, default) { Sequence = 1 };
        return ms;
    }

    /// <summary>Messages of <paramref name="hosts"/> hosts (the same series), merged into one window and written.</summary>
    static double MergeRate(List<byte[]> messages, int hosts)
    {
        var windows = new FleetWindows(TimeSpan.FromSeconds(1), 2);
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        var clock = Stopwatch.StartNew();
        long offset = 0;
        for (int h = 0; h < hosts; h++)
            foreach (var bytes in messages)
            {
                var m = HistogramMessageFormat.Parse(bytes);
                windows.Add(m with { Host = "bench-" + h }, offset++);
            }
        windows.AdvanceTo(10_000_000_000);
        foreach (var w in windows.TakeClosed())
        {
            var counts = new List<int>();
            FleetPoints.Write(FleetPoints.ToSnapshot(w, counts), counts, buffer);
        }
        return offset / clock.Elapsed.TotalSeconds;
    }
}
