using System.Buffers;
using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Tracer.Core;
using Tracer.Fleet;
using Tracer.Sinks;

namespace Tracer.Kafka;

/// <summary>
/// <c>alloclat aggregate</c>: consumes fleet messages as one member of a consumer group, merges each series over
/// all hosts per window (<see cref="FleetWindows"/>, one set per partition: a series always lands in one
/// partition), and writes closed windows through an <see cref="InfluxWriter"/>.
/// </summary>
/// <remarks>
/// Nothing is committed before it is written. After the points of the windows that closed have been accepted by
/// the database, the aggregator commits, per partition, the offset of the oldest message of a window still open
/// (so those windows are read again in full by whoever owns the partition next), and, as the committed offset of
/// the same partition of the watermark topic, the partition's watermark: the next owner starts from it, so
/// the windows already written are recognised when their messages are read again (counted as replayed, not merged
/// a second time), and a window is never written from part of its messages. A window written again after a
/// crash between writing and committing is written from the same messages, and its points replace themselves.
/// </remarks>
public sealed class KafkaAggregator
{
    private sealed class PartitionState(FleetWindows windows, long replayEnd)
    {
        public FleetWindows Windows { get; } = windows;

        /// <summary>The partition's end when it was assigned: closed-window messages before it are read again.</summary>
        public long ReplayEnd { get; } = replayEnd;

        public long NextOffset { get; set; } = -1;

        public bool Dirty { get; set; }
    }

    private readonly KafkaSettings _settings;
    private readonly AggregatorOptions _options;
    private readonly InfluxWriter _writer;
    private readonly Func<IntervalSnapshot, IntervalSnapshot>? _alerts;
    private readonly TextWriter _log;
    private readonly RateLimitedLog _limited;
    private readonly string _watermarkTopic;
    private readonly Dictionary<int, PartitionState> _partitions = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly long _intervalNs;
    private AggregatorCounters _reported = new();

    public KafkaAggregator(KafkaSettings settings, AggregatorOptions options, InfluxWriter writer, TextWriter log,
        Func<IntervalSnapshot, IntervalSnapshot>? alerts = null)
    {
        _settings = settings;
        _options = options;
        _writer = writer;
        _log = log;
        _alerts = alerts;
        _limited = new RateLimitedLog(log, TimeSpan.FromSeconds(30), TimeProvider.System, "");
        _watermarkTopic = options.WatermarkTopic ?? settings.Topic + ".watermarks";
        _intervalNs = options.Interval.Ticks * 100;
    }

    public AggregatorCounters Counters { get; } = new();

    /// <summary>Consumes until <paramref name="stop"/> is cancelled. Open windows are left to the next owner.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        EnsureWatermarkTopic();
        var config = _settings.Apply(new ConsumerConfig
        {
            GroupId = _options.Group,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            ClientId = "alloclat-aggregate-" + _options.Name,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.RoundRobin,
        });
        var consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) => _limited.Write("error:" + e.Code, $"[WARN] kafka: {e.Reason}"))
            .SetLogHandler((_, m) => { if (m.Level <= SyslogLevel.Warning) _limited.Write("log:" + m.Facility, $"[WARN] kafka: {m.Message}"); })
            .SetPartitionsAssignedHandler((c, parts) => Assigned(c, parts))
            .SetPartitionsRevokedHandler((_, parts) => Forget(parts.Select(p => p.TopicPartition), "revoked"))
            .SetPartitionsLostHandler((_, parts) => Forget(parts.Select(p => p.TopicPartition), "lost"))
            .Build();
        consumer.Subscribe(_settings.Topic);
        _log.WriteLine($"[INFO] aggregating {_settings.Topic} as group {_options.Group}: windows of {_options.Interval.TotalSeconds:0.###} s, lateness {_options.LatenessIntervals} intervals, writing to {_writer.Options.Target}");
        var sinceCheck = Stopwatch.StartNew();
        long nextStats = (UnixNow() / _intervalNs + 1) * _intervalNs;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                ConsumeResult<byte[], byte[]>? result = null;
                try
                {
                    result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                }
                catch (ConsumeException e)
                {
                    _limited.Write("consume:" + e.Error.Code, $"[WARN] kafka: {e.Error.Reason}");
                }
                if (result?.Message is not null && _partitions.TryGetValue(result.Partition.Value, out var state))
                    Handle(state, result);
                if (result is null || sinceCheck.ElapsedMilliseconds >= 100)
                {
                    sinceCheck.Restart();
                    AdvanceCaughtUp(consumer);
                    if (!await CloseAsync(consumer, stop).ConfigureAwait(false))
                        return;
                }
                if (UnixNow() >= nextStats)
                {
                    WriteStats(nextStats);
                    nextStats += _intervalNs;
                }
            }
        }
        finally
        {
            // Leaving the group waits for the coordinator; with the brokers gone that could be forever. Open windows
            // are left to the next owner either way, so the wait is bounded.
            var leaving = Task.Run(() =>
            {
                consumer.Close();
                consumer.Dispose();
            });
            if (!leaving.Wait(TimeSpan.FromSeconds(10)))
                _log.WriteLine("[WARN] kafka: leaving the consumer group did not finish within 10 s (brokers unreachable?); the group notices after its session timeout");
        }
    }

    private void Handle(PartitionState state, ConsumeResult<byte[], byte[]> result)
    {
        long offset = result.Offset.Value;
        state.NextOffset = offset + 1;
        state.Dirty = true;
        HistogramMessage message;
        try
        {
            message = HistogramMessageFormat.Parse(result.Message.Value);
            switch (state.Windows.Add(message, offset))
            {
                case MergeOutcome.Merged:
                    Counters.Merged++;
                    break;
                case MergeOutcome.Duplicate:
                    Counters.Duplicates++;
                    break;
                case MergeOutcome.Late when offset < state.ReplayEnd:
                    Counters.Replayed++;
                    break;
                case MergeOutcome.Late:
                    Counters.Late++;
                    break;
            }
        }
        catch (FormatException e)
        {
            Counters.Invalid++;
            _limited.Write("invalid", $"[WARN] {_settings.Topic} partition {result.Partition.Value} offset {offset}: {e.Message}; skipped");
        }
    }

    /// <summary>A partition read to its end has seen everything sent so far: its watermark is the clock.</summary>
    private void AdvanceCaughtUp(IConsumer<byte[], byte[]> consumer)
    {
        long now = UnixNow();
        foreach (var (partition, state) in _partitions)
        {
            var tp = new TopicPartition(_settings.Topic, partition);
            var high = consumer.GetWatermarkOffsets(tp).High;
            var position = consumer.Position(tp);
            if (high != Offset.Unset && position != Offset.Unset && position.Value >= high.Value)
            {
                state.Windows.AdvanceTo(now);
                state.Dirty = true;
            }
        }
    }

    /// <summary>Writes the windows that closed, waits until the database has them, then commits. False when stopped first.</summary>
    private async Task<bool> CloseAsync(IConsumer<byte[], byte[]> consumer, CancellationToken stop)
    {
        var closed = new List<FleetWindow>();
        foreach (var state in _partitions.Values)
            closed.AddRange(state.Windows.TakeClosed());
        if (closed.Count > 0)
        {
            _buffer.ResetWrittenCount();
            foreach (var sameEnd in closed.GroupBy(w => w.EndUnixNs).OrderBy(g => g.Key))
            {
                var hosts = new List<int>();
                var snapshot = FleetPoints.ToSnapshot(sameEnd.ToList(), hosts);
                if (_alerts is not null)
                    snapshot = _alerts(snapshot);
                FleetPoints.Write(snapshot, hosts, _buffer);
                Counters.Windows++;
                Counters.Points += snapshot.Series.Count;
            }
            _writer.Write(_buffer.WrittenSpan);
            while (!await _writer.FlushAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false))
            {
                _limited.Write("flush", $"[WARN] the database at {_writer.Options.Target} has not taken the fleet points yet; offsets are committed once it has");
                if (stop.IsCancellationRequested)
                    return false;
            }
        }
        Commit(consumer);
        return true;
    }

    private void Commit(IConsumer<byte[], byte[]> consumer)
    {
        var offsets = new List<TopicPartitionOffset>();
        foreach (var (partition, state) in _partitions)
        {
            if (!state.Dirty)
                continue;
            long? next = state.Windows.FirstOpenOffset ?? (state.NextOffset >= 0 ? state.NextOffset : null);
            if (next is long n)
                offsets.Add(new TopicPartitionOffset(_settings.Topic, partition, n));
            offsets.Add(new TopicPartitionOffset(_watermarkTopic, partition, state.Windows.WatermarkUnixNs));
        }
        if (offsets.Count == 0)
            return;
        try
        {
            consumer.Commit(offsets);
            foreach (var state in _partitions.Values)
                state.Dirty = false;
        }
        catch (KafkaException e)
        {
            _limited.Write("commit:" + e.Error.Code, $"[WARN] kafka: committing offsets failed ({e.Error.Reason}); retried with the next window");
        }
    }

    private void Assigned(IConsumer<byte[], byte[]> consumer, List<TopicPartition> parts)
    {
        var watermarks = consumer.Committed(parts.Select(p => new TopicPartition(_watermarkTopic, p.Partition)), TimeSpan.FromSeconds(30));
        foreach (var tp in parts)
        {
            long watermark = watermarks.FirstOrDefault(w => w.Partition == tp.Partition)?.Offset.Value ?? 0;
            long end = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(30)).High.Value;
            _partitions[tp.Partition.Value] = new PartitionState(
                new FleetWindows(_options.Interval, _options.LatenessIntervals, Math.Max(watermark, 0)), end);
        }
        _log.WriteLine($"[INFO] partitions assigned: {string.Join(",", _partitions.Keys.Order())}");
    }

    private void Forget(IEnumerable<TopicPartition> parts, string why)
    {
        int open = 0;
        foreach (var tp in parts)
            if (_partitions.Remove(tp.Partition.Value, out var state))
                open += state.Windows.OpenCount;
        _log.WriteLine($"[INFO] partitions {why}: {open} open window(s) are left to their next owner, which reads them again from the last commit");
    }

    private void WriteStats(long timestampNs)
    {
        var now = Counters.Snapshot();
        var last = _reported;
        _reported = now;
        long late = now.Late - last.Late;
        if (late > 0)
            _log.WriteLine($"[WARN] {late} late histogram message(s) in the last interval: their windows were already written (--lateness {_options.LatenessIntervals} intervals); not merged");
        var point = new EventPoint(Schema.Measurements.FleetStats, [],
        [
            new("merged", now.Merged - last.Merged), new("late", late), new("replayed", now.Replayed - last.Replayed),
            new("duplicates", now.Duplicates - last.Duplicates), new("invalid", now.Invalid - last.Invalid),
            new("windows", now.Windows - last.Windows), new("points", now.Points - last.Points),
            new("partitions", (long)_partitions.Count), new("open_windows", (long)_partitions.Values.Sum(p => p.Windows.OpenCount)),
            new(Schema.Fields.SinkDropped, _writer.TakeDropped()),
        ]);
        var buffer = new ArrayBufferWriter<byte>(256);
        LineProtocol.WriteEvent(point, _options.Name, timestampNs, buffer);
        _writer.Write(buffer.WrittenSpan);
    }

    /// <summary>
    /// The watermark topic needs a partition for every partition of the topic (it holds no messages, only committed
    /// offsets). Waits for the topic to exist, creates or grows the watermark topic if needed, and throws
    /// <see cref="AggregatorSetupException"/> saying what to create when the cluster refuses.
    /// </summary>
    private void EnsureWatermarkTopic()
    {
        using var admin = new AdminClientBuilder(_settings.Apply(new AdminClientConfig()))
            .SetLogHandler((_, m) => { if (m.Level <= SyslogLevel.Error) _limited.Write("admin:" + m.Facility, $"[WARN] kafka: {m.Message}"); })
            .Build();
        var waiting = Stopwatch.StartNew();
        bool tried = false;
        while (true)
        {
            var meta = admin.GetMetadata(TimeSpan.FromSeconds(10));
            var topic = meta.Topics.FirstOrDefault(t => t.Topic == _settings.Topic && t.Error.Code == ErrorCode.NoError && t.Partitions.Count > 0);
            var marks = meta.Topics.FirstOrDefault(t => t.Topic == _watermarkTopic && t.Error.Code == ErrorCode.NoError && t.Partitions.Count > 0);
            if (topic is null)
            {
                if (waiting.Elapsed > TimeSpan.FromSeconds(5))
                    _limited.Write("no-topic", $"[WARN] topic {_settings.Topic} does not exist yet; waiting for the collectors to create it");
                Thread.Sleep(500);
                continue;
            }
            if (marks is not null && marks.Partitions.Count >= topic.Partitions.Count)
                return;
            string need = $"topic {_watermarkTopic} with {topic.Partitions.Count} partitions (it holds each partition's watermark as a committed offset)";
            if (tried)
                throw new AggregatorSetupException($"{need} is missing and could not be created: create it");
            tried = true;
            try
            {
                var timeout = new CreateTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(10), OperationTimeout = TimeSpan.FromSeconds(10) };
                if (marks is null)
                    admin.CreateTopicsAsync([new TopicSpecification { Name = _watermarkTopic, NumPartitions = topic.Partitions.Count, ReplicationFactor = (short)Math.Min(3, meta.Brokers.Count) }], timeout).GetAwaiter().GetResult();
                else
                    admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = _watermarkTopic, IncreaseTo = topic.Partitions.Count }],
                        new CreatePartitionsOptions { RequestTimeout = TimeSpan.FromSeconds(10), OperationTimeout = TimeSpan.FromSeconds(10) }).GetAwaiter().GetResult();
                _log.WriteLine($"[INFO] created {need}");
            }
            catch (KafkaException e)
            {
                throw new AggregatorSetupException($"{need} is missing and could not be created ({e.Message}): create it");
            }
        }
    }

    private static long UnixNow() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
}
