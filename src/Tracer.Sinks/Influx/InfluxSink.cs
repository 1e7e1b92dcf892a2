using System.Buffers;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// Writes every interval to InfluxDB (or VictoriaMetrics) through an <see cref="InfluxWriter"/>. Writing only
/// formats and queues; the network is the writer's business. Drops land in the next
/// <c>alloclat_stats.sink_dropped</c> through <see cref="TakeDropped"/>.
/// </summary>
public sealed class InfluxSink : ISnapshotSink
{
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);

    /// <summary>Creates the sink and its writer; the writer's log lines go to <paramref name="log"/> (stderr in the CLI).</summary>
    public InfluxSink(InfluxWriterOptions options, TextWriter log)
        : this(new InfluxWriter(options, log))
    {
    }

    /// <summary>Wraps an existing writer; disposing the sink disposes (and flushes) it.</summary>
    public InfluxSink(InfluxWriter writer)
    {
        Writer = writer ?? throw new ArgumentNullException(nameof(writer));
    }

    /// <summary>The writer: fatal state, counters, flush.</summary>
    public InfluxWriter Writer { get; }

    public string Name => "influxdb";

    /// <inheritdoc cref="InfluxWriter.PingAsync"/>
    public Task<InfluxPingResult> PingAsync(CancellationToken cancellationToken = default) => Writer.PingAsync(cancellationToken);

    public ValueTask WriteAsync(IntervalSnapshot snapshot, CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        LineProtocol.Write(snapshot, _buffer);
        Writer.Write(_buffer.WrittenSpan);
        return ValueTask.CompletedTask;
    }

    public long TakeDropped() => Writer.TakeDropped();

    /// <inheritdoc cref="InfluxWriter.DisposeAsync"/>
    public ValueTask DisposeAsync() => Writer.DisposeAsync();
}
