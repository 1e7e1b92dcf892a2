using System.Threading.Channels;
using Tracer.Core;

namespace Tracer.Aggregation;

/// <summary>
/// Drives a source on one thread: polls events into the series table and, at every interval boundary, turns the
/// table into an <see cref="IntervalSnapshot"/> for the sinks. Snapshots leave through a channel, so a slow sink
/// never stalls the polling that keeps the kernel's buffers drained.
/// </summary>
public sealed class IntervalCollector
{
    private readonly IEventSource _source;
    private readonly SeriesTable _table;
    private readonly long _intervalNs;
    private readonly string _host;
    private SourceCounters _last;
    private long _sequence;

    public IntervalCollector(IEventSource source, SeriesTable table, TimeSpan interval, string host)
    {
        if (interval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(interval));
        _source = source;
        _table = table;
        _intervalNs = (long)(interval.TotalMilliseconds * 1_000_000);
        _host = host;
    }

    /// <summary>Snapshots are written here, one per interval, and once more for the partial last interval.</summary>
    public Channel<IntervalSnapshot> Snapshots { get; } =
        Channel.CreateUnbounded<IntervalSnapshot>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>Runs until <paramref name="stop"/> is cancelled, then flushes the last interval and completes.</summary>
    public void Run(CancellationToken stop)
    {
        long start = UnixNow();
        long next = NextBoundary(start);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                long now = UnixNow();
                int wait = (int)Math.Clamp((next - now) / 1_000_000, 0, 100);
                _source.Poll(wait, _table);
                now = UnixNow();
                if (now >= next)
                {
                    Emit(start, next);
                    start = next;
                    // After a stall, start afresh rather than emitting a burst of empty intervals.
                    next = now - next >= _intervalNs ? NextBoundary(now) : next + _intervalNs;
                }
            }
            // Drain what the kernel already handed over, then flush the partial interval.
            _source.Poll(0, _table);
            Emit(start, Math.Max(UnixNow(), start + 1), final: true);
        }
        finally
        {
            Snapshots.Writer.TryComplete();
        }
    }

    /// <summary>
    /// The end of the interval that starts at <paramref name="now"/>. When histograms are kept for merging with
    /// other hosts, intervals end on multiples of the interval in wall-clock time (the first one is shorter), so
    /// the same interval of every host covers the same time.
    /// </summary>
    private long NextBoundary(long now) => _table.KeepHistograms ? (now / _intervalNs + 1) * _intervalNs : now + _intervalNs;

    private static long UnixNow() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    private void Emit(long startNs, long endNs, bool final = false)
    {
        _source.EndInterval(_table, final);
        var counters = _source.ReadCounters();
        var stats = new CollectorStats(
            counters.Events - _last.Events, counters.Lost - _last.Lost,
            counters.InflightDropped - _last.InflightDropped, SinkDropped: 0, TargetsFull: counters.TargetsFull - _last.TargetsFull,
            ProbeCost: counters.ProbeCost);
        _last = counters;
        Snapshots.Writer.TryWrite(new IntervalSnapshot(startNs, endNs, _host, _table.TakeSnapshot(), stats) { Events = SpikePoints.With(_source.TakeSlowCalls(), _source.TakeEvents()), Sequence = ++_sequence, Final = final });
    }
}
