using Tracer.Core;
using Tracer.Sinks;

namespace Alloclat.Cli.Record;

/// <summary>
/// The outputs of one run: the line-protocol file, the live screen or table, Kafka and InfluxDB. Opened only after
/// every check has passed (nothing is created or appended to for a run that is refused), closed together. A sink
/// that fails with an I/O error is named in one <c>[ERROR]</c> line and stops alone; the others go on, and the run
/// ends with exit code 10.
/// </summary>
internal sealed class SinkSet : IAsyncDisposable
{
    private readonly List<ISnapshotSink> _sinks;
    private readonly HashSet<ISnapshotSink> _failed = [];
    private readonly TextWriter _err;

    private SinkSet(List<ISnapshotSink> sinks, TextWriter err)
    {
        _sinks = sinks;
        _err = err;
    }

    /// <summary>A set of sinks already open (the run opens its own with <see cref="OpenAsync"/>).</summary>
    internal static SinkSet Of(IEnumerable<ISnapshotSink> sinks, TextWriter err) => new([.. sinks], err);

    public LiveScreen? Screen => _sinks.OfType<LiveScreen>().FirstOrDefault();

    public static async Task<SinkSet> OpenAsync(RecordOptions o, PreflightResult checkedRun, IConsole console, TextWriter err)
    {
        var sinks = new List<ISnapshotSink>();
        try
        {
            OpenFile(o, sinks, err);
            if (o.Quiet)
            {
            }
            else if (!o.Plain && console.OutIsTerminal)
            {
                sinks.Add(new LiveScreen(console.Out, () => (Console.WindowWidth, Console.WindowHeight), TraceSession.TargetDescription(o)));
            }
            else
            {
                sinks.Add(new ConsoleTableSink(console.Out));
            }
            if (checkedRun.Kafka is { } kafka)
                sinks.Add(KafkaPublishing.Open(kafka, o.KafkaQueueMessages, err));
            if (checkedRun.Influx is { } influxOptions)
            {
                var influx = new InfluxSink(InfluxReporting.OpenWriter(influxOptions, err));
                sinks.Add(influx);
                _ = InfluxReporting.ReportPingAsync(influx.Writer, err, o.Influx.Url!, "tracing goes on and points are queued until it answers");
            }
            return new SinkSet(sinks, err);
        }
        catch
        {
            // A sink that cannot be opened leaves none of the others open.
            foreach (var sink in sinks)
                await sink.DisposeAsync();
            throw;
        }
    }

    private static void OpenFile(RecordOptions o, List<ISnapshotSink> sinks, TextWriter err)
    {
        if (o.OutputDisabled)
        {
            err.WriteLine("[INFO] no line-protocol file (--output none)");
            return;
        }
        string output = o.Output ?? $"alloclat-{DateTime.Now:yyyyMMdd-HHmmss}.lp";
        FileSink file;
        try
        {
            file = new FileSink(output, (long?)o.OutputMaxSize, o.OutputKeep) { Histograms = o.Histograms };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OutputFailure.Open(e, output);
        }
        sinks.Add(new OutputGuard(file, output, err));
        err.WriteLine($"[INFO] writing line protocol to {output}" + (o.OutputMaxSize is { } max
            ? $", rotated at {max} bytes keeping {o.OutputKeep} older files"
            : ""));
    }

    /// <summary>The snapshot with the points the sinks dropped since the previous one (alloclat_stats.sink_dropped).</summary>
    public IntervalSnapshot WithDrops(IntervalSnapshot snapshot) => SinkDrops.Into(snapshot, _sinks);

    public async ValueTask WriteAsync(IntervalSnapshot snapshot)
    {
        foreach (var sink in _sinks)
        {
            if (_failed.Contains(sink))
                continue;
            try
            {
                await sink.WriteAsync(snapshot, CancellationToken.None);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Fail(sink, e);
            }
        }
    }

    private void Fail(ISnapshotSink sink, Exception e)
    {
        _failed.Add(sink);
        _err.WriteLine($"[ERROR] the {sink.Name} output stopped: {OutputFailure.Reason(e, "")}; the other outputs go on");
    }

    /// <summary>
    /// The run's exit code once the sinks are closed: without a traced command (whose own code is returned), a
    /// database that refuses the points until its configuration is fixed is 9, an output that failed is 10, points
    /// lost to the database are 11.
    /// </summary>
    public int Settle(int exitCode, bool tracedCommand)
    {
        if (!tracedCommand && exitCode == 0 && _sinks.OfType<InfluxSink>().Any(s => s.Writer.FatalError is not null))
            exitCode = (int)ReturnCode.SinkError;
        foreach (var influx in _sinks.OfType<InfluxSink>())
            exitCode = InfluxReporting.ReportLosses(influx.Writer, _err, exitCode, decidesExitCode: !tracedCommand);
        foreach (var failed in _sinks.OfType<OutputGuard>().Where(g => g.Failure is not null))
        {
            _err.WriteLine($"[INFO] {failed.NotWritten} of {failed.Written + failed.NotWritten} intervals were not written to {failed.Path}");
            if (!tracedCommand && exitCode == 0)
                exitCode = (int)ReturnCode.OutputError;
        }
        if (!tracedCommand && exitCode == 0 && _failed.Count > 0)
            exitCode = (int)ReturnCode.OutputError;
        return exitCode;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sink in _sinks)
        {
            try
            {
                await sink.DisposeAsync();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (!_failed.Contains(sink))
                    Fail(sink, e);
            }
        }
    }
}
