using System.Runtime.InteropServices;
using Tracer.Alerts;
using Tracer.Core;
using Tracer.Kafka;
using Tracer.Native;
using Tracer.Sinks;

namespace Alloclat.Cli;

/// <summary><c>alloclat aggregate</c>: wires the Kafka consumer, the fleet windows, the alert rules and InfluxDB.</summary>
internal sealed class AggregateCommand(AggregateOptions o, IConsole console)
{
    private readonly TextWriter _err = console.Error;

    public async Task<int> RunAsync()
    {
        var settings = KafkaPublishing.Settings(o.KafkaBrokers!, o.KafkaTopic, o.KafkaProperties);
        var name = o.Host ?? KernelSupport.HostName();
        var writer = InfluxReporting.OpenWriter(o.Influx.WriterOptions(), _err);
        AggregatorCounters c;
        try
        {
            await InfluxReporting.ReportPingAsync(writer, _err, o.Influx.Url!, "offsets are committed only once fleet points are written");
            await using var alerts = o.Alerts.Count == 0 ? null : new AlertStage(o.Alerts, _err);
            var aggregator = new KafkaAggregator(settings,
                new AggregatorOptions { Group = o.Group, Interval = o.Interval, LatenessIntervals = o.LatenessIntervals, Name = name },
                writer, _err, alerts is null ? null : alerts.Apply);

            using var stop = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, s => { s.Cancel = true; stop.Cancel(); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, s => { s.Cancel = true; stop.Cancel(); });
            if (o.Duration is { } d)
                stop.CancelAfter(d);
            try
            {
                await Task.Run(() => aggregator.RunAsync(stop.Token));
            }
            catch (Confluent.Kafka.KafkaException e)
            {
                throw new AlloclatException(ReturnCode.ArgumentError, $"Kafka: {e.Error.Reason}");
            }
            c = aggregator.Counters;
        }
        finally
        {
            // Flushes what is queued, within --influx-flush-timeout.
            await writer.DisposeAsync();
        }
        _err.WriteLine($"[INFO] aggregated {c.Merged} histograms into {c.Points} fleet points over {c.Windows} windows; {c.Late} late, {c.Replayed} replayed, {c.Duplicates} duplicate, {c.Invalid} invalid");
        // Fleet points the database lost are counted exactly and give exit code 11, as for record.
        return InfluxReporting.ReportLosses(writer, _err, writer.FatalError is null ? 0 : (int)ReturnCode.SinkError, decidesExitCode: true);
    }
}
