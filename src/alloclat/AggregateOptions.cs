using System.Globalization;
using Tracer.Alerts;
using Tracer.Core;

namespace Alloclat.Cli;

/// <summary>Everything <c>alloclat aggregate</c> accepts, after validation.</summary>
public sealed record AggregateOptions
{
    public string? KafkaBrokers { get; init; }
    public string KafkaTopic { get; init; } = "alloclat.histograms";
    public string? KafkaProperties { get; init; }
    public string Group { get; init; } = "alloclat-aggregate";
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);
    public int LatenessIntervals { get; init; } = 2;
    public string? Host { get; init; }
    public TimeSpan? Duration { get; init; }
    public string? InfluxUrl { get; init; }
    public string? InfluxDatabase { get; init; }
    public string? InfluxUser { get; init; }
    public string? InfluxOrg { get; init; }
    public string? InfluxBucket { get; init; }
    public string? InfluxTokenFile { get; init; }
    public int InfluxQueueLines { get; init; } = 1_000_000;
    public IReadOnlyList<AlertRule> Alerts { get; init; } = [];

    public const string Usage = """
        Usage: alloclat aggregate --kafka-brokers HOST:PORT[,...] --influx-url URL (--influx-db DB | --influx-org ORG --influx-bucket B) [options]

        Consumes the histograms collectors publish (record --kafka-brokers), merges each series over all hosts per
        interval window and writes alloc_latency_fleet (and gc_pause_fleet) to InfluxDB: exact fleet percentiles,
        plus hosts, the number of hosts that contributed. Aggregators of one --group split the topic's partitions.

        Options:
              --kafka-brokers LIST  bootstrap brokers
              --kafka-topic TOPIC   topic (default alloclat.histograms)
              --kafka-properties FILE
                                    librdkafka properties (SASL, TLS); also ALLOCLAT_KAFKA_<PROPERTY> variables
              --group NAME          consumer group (default alloclat-aggregate)
              --interval TIME       the collectors' interval (default 1s)
              --lateness N          intervals a window waits for late hosts (default 2); later data is counted as late
              --host NAME           this aggregator's name in alloclat_fleet_stats (default: this host's name)
          -d, --duration TIME       stop after TIME; default: until Ctrl-C
              --influx-url URL, --influx-db DB, --influx-user USER, --influx-org ORG, --influx-bucket BUCKET,
              --influx-token-file FILE, --influx-queue LINES   as for record
              --alert RULE, --alert-file FILE   alert rules, judged on the fleet series

        Exit codes: 0 ok, 2 bad option, 9 InfluxDB rejected the points.
        """;

    public static AggregateOptions Parse(IReadOnlyList<string> args)
    {
        var o = new AggregateOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i], name = arg;
            string? inline = null;
            int eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                name = arg[..eq];
                inline = arg[(eq + 1)..];
            }
            string Value() => inline ?? (i + 1 < args.Count ? args[++i] : throw OptionParser.Bad($"option {name} needs a value"));
            o = name switch
            {
                "--kafka-brokers" => o with { KafkaBrokers = OptionParser.NonEmpty(name, Value()) },
                "--kafka-topic" => o with { KafkaTopic = OptionParser.NonEmpty(name, Value()) },
                "--kafka-properties" => o with { KafkaProperties = Value() },
                "--group" => o with { Group = OptionParser.NonEmpty(name, Value()) },
                "--interval" => o with { Interval = OptionParser.ParseDuration(name, Value()) },
                "--lateness" => o with { LatenessIntervals = ParseLateness(name, Value()) },
                "--host" => o with { Host = OptionParser.NonEmpty(name, Value()) },
                "-d" or "--duration" => o with { Duration = OptionParser.ParseDuration(name, Value()) },
                "--influx-url" => o with { InfluxUrl = OptionParser.ParseUrl(name, Value()) },
                "--influx-db" => o with { InfluxDatabase = OptionParser.NonEmpty(name, Value()) },
                "--influx-user" => o with { InfluxUser = OptionParser.NonEmpty(name, Value()) },
                "--influx-org" => o with { InfluxOrg = OptionParser.NonEmpty(name, Value()) },
                "--influx-bucket" => o with { InfluxBucket = OptionParser.NonEmpty(name, Value()) },
                "--influx-token-file" => o with { InfluxTokenFile = Value() },
                "--influx-queue" => o with { InfluxQueueLines = OptionParser.ParsePositiveInt(name, Value()) },
                "--alert" => o with { Alerts = [.. o.Alerts, OptionParser.ParseAlert(Value())] },
                "--alert-file" => o with { Alerts = [.. o.Alerts, .. OptionParser.ParseAlertFile(Value())] },
                "--influx-token" => throw OptionParser.Bad("--influx-token is not accepted on the command line (it would show in ps): set ALLOCLAT_INFLUX_TOKEN or use --influx-token-file"),
                _ => throw OptionParser.Bad(arg.StartsWith('-') ? $"unknown option {arg} (see 'alloclat aggregate --help')" : $"unexpected argument '{arg}'"),
            };
        }
        if (o.KafkaBrokers is null)
            throw OptionParser.Bad("aggregate needs --kafka-brokers");
        if (o.InfluxUrl is null)
            throw OptionParser.Bad("aggregate needs --influx-url and --influx-db (or --influx-org and --influx-bucket): fleet series go to InfluxDB");
        bool v1 = o.InfluxDatabase is not null, v2 = o.InfluxOrg is not null || o.InfluxBucket is not null;
        if (v1 == v2)
            throw OptionParser.Bad("with --influx-url give either --influx-db (InfluxDB 1.x) or --influx-org and --influx-bucket (2.x/3.x)");
        if (v2 && (o.InfluxOrg is null || o.InfluxBucket is null))
            throw OptionParser.Bad("--influx-org and --influx-bucket go together");
        return o;
    }

    private static int ParseLateness(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 0 and <= 1000
            ? n : throw OptionParser.Bad($"invalid value '{value}' for {name}: expected a number of intervals from 0 to 1000");
}
