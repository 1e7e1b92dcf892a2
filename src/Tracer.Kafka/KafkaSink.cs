using System.Buffers;
using System.Text;
using Confluent.Kafka;
using Tracer.Core;
using Tracer.Fleet;
using Tracer.Sinks;

namespace Tracer.Kafka;

/// <summary>
/// Publishes every series' interval histogram (docs/schema.md, "Fleet messages") to Kafka, keyed by the series
/// without host and pid. Idempotent producer, acks from all in-sync replicas, lz4. Writing only hands messages to
/// librdkafka's bounded queue: while brokers are unreachable it holds up to <see cref="QueueMessages"/>
/// messages; beyond that, and for messages not delivered within the message timeout, messages are dropped and
/// counted (<see cref="TakeDropped"/>, <c>alloclat_stats.sink_dropped</c>). Tracing never waits for Kafka.
/// </summary>
public sealed class KafkaSink : ISnapshotSink
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly string _topic;
    private readonly RateLimitedLog _log;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Action<DeliveryReport<byte[], byte[]>> _delivered;
    private long _pendingDropped;
    private long _dropped;
    private long _deliveredCount;
    private bool _disposed;

    public KafkaSink(KafkaSettings settings, TextWriter log, int queueMessages = 100_000, TimeSpan? flushTimeout = null)
    {
        _topic = settings.Topic;
        QueueMessages = queueMessages;
        FlushTimeout = flushTimeout ?? TimeSpan.FromSeconds(5);
        _log = new RateLimitedLog(log, TimeSpan.FromSeconds(30), TimeProvider.System, "");
        var config = settings.Apply(new ProducerConfig
        {
            EnableIdempotence = true,
            Acks = Acks.All,
            CompressionType = CompressionType.Lz4,
            LingerMs = 20,
            QueueBufferingMaxMessages = queueMessages,
            QueueBufferingMaxKbytes = 1024 * 1024,
            Partitioner = Partitioner.Murmur2Random,
            ClientId = "alloclat",
        });
        _producer = new ProducerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) => _log.Write("error:" + e.Code, $"[WARN] kafka: {e.Reason}{(e.IsFatal ? " (fatal: histograms are no longer published)" : "")}"))
            .SetLogHandler((_, m) => { if (m.Level <= SyslogLevel.Warning) _log.Write("log:" + m.Facility, $"[WARN] kafka: {m.Message}"); })
            .Build();
        _delivered = report =>
        {
            if (report.Error.IsError)
            {
                Drop(1);
                _log.Write("delivery:" + report.Error.Code, $"[WARN] kafka: a histogram message was not delivered to {_topic}: {report.Error.Reason}; dropped (counted in alloclat_stats.sink_dropped)");
            }
            else
                Interlocked.Increment(ref _deliveredCount);
        };
    }

    public string Name => "kafka";

    /// <summary>Messages librdkafka keeps while brokers are unreachable (queued and in flight).</summary>
    public int QueueMessages { get; }

    public TimeSpan FlushTimeout { get; }

    /// <summary>Messages the brokers acknowledged.</summary>
    public long Delivered => Interlocked.Read(ref _deliveredCount);

    /// <summary>Messages dropped so far: queue full, undeliverable, or still queued at exit.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public ValueTask WriteAsync(IntervalSnapshot snapshot, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var message in HistogramMessage.From(snapshot))
        {
            _buffer.ResetWrittenCount();
            HistogramMessageFormat.Write(message, _buffer);
            var kafkaMessage = new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(message.FleetKey), Value = _buffer.WrittenSpan.ToArray() };
            try
            {
                _producer.Produce(_topic, kafkaMessage, _delivered);
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                Drop(1);
                _log.Write("queue-full", $"[WARN] kafka: the local queue is full ({QueueMessages} messages; brokers unreachable?): histogram messages are dropped and counted in alloclat_stats.sink_dropped");
            }
            catch (KafkaException e)
            {
                Drop(1);
                _log.Write("produce:" + e.Error.Code, $"[WARN] kafka: {e.Error.Reason}; histogram messages are dropped");
            }
        }
        return ValueTask.CompletedTask;
    }

    public long TakeDropped() => Interlocked.Exchange(ref _pendingDropped, 0);

    /// <summary>Delivers what is queued for at most <see cref="FlushTimeout"/>, then says what could not be.</summary>
    public ValueTask DisposeAsync()
    {
        if (_disposed)
            return ValueTask.CompletedTask;
        _disposed = true;
        int left = _producer.Flush(FlushTimeout);
        if (left > 0)
        {
            _log.WriteAlways($"[WARN] kafka: {left} histogram message{(left == 1 ? "" : "s")} could not be delivered to {_topic} within {FlushTimeout.TotalSeconds:0.#} s and are lost");
            Drop(left);
        }
        _producer.Dispose();
        // The last interval's drops come after its alloclat_stats point: the totals are told here.
        _log.WriteAlways($"[INFO] kafka: {Delivered} histogram messages delivered to {_topic}, {Dropped} dropped");
        return ValueTask.CompletedTask;
    }

    private void Drop(long n)
    {
        Interlocked.Add(ref _pendingDropped, n);
        Interlocked.Add(ref _dropped, n);
    }
}
