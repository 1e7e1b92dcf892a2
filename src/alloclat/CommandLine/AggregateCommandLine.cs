using System.CommandLine;

namespace Alloclat.Cli.CommandLine;

/// <summary>The options of <c>alloclat aggregate</c>: the Kafka and InfluxDB groups it shares with record, and its own.</summary>
internal sealed class AggregateCommandLine
{
    public static readonly VerbHelp Help = new(
        ["alloclat aggregate --kafka-brokers HOST:PORT[,...] --influx-url URL (--influx-db DB | --influx-org ORG --influx-bucket B) [options]"],
        "Exit codes: 0 ok, 2 bad option, 9 InfluxDB configuration error (credentials, missing database, untrusted certificate).");

    private const string Description = """
        Consumes the histograms collectors publish (record --kafka-brokers), merges each series over all hosts per
        interval window and writes alloc_latency_fleet (and gc_pause_fleet) to InfluxDB: exact fleet percentiles,
        plus hosts, the number of hosts that contributed. Aggregators of one --group split the topic's partitions.
        """;

    private static readonly AggregateOptions s_defaults = new();

    public KafkaOptionGroup Kafka { get; } = new("bootstrap brokers");
    public Option<string?> Group { get; } = Opt.Text("--group", "NAME", "consumer group (default alloclat-aggregate)", OptionValues.NonEmpty);
    public Option<TimeSpan?> Interval { get; } = Opt.Value("--interval", "TIME", "the collectors' interval (default 1s)", OptionValues.Duration);
    public Option<int?> Lateness { get; } = Opt.Value("--lateness", "N", "intervals a window waits for late hosts (default 2); later data is counted as late", OptionValues.Lateness);
    public Option<string?> Host { get; } = Opt.Text("--host", "NAME", "this aggregator's name in alloclat_fleet_stats (default: this host's name)", OptionValues.NonEmpty);
    public Option<TimeSpan?> Duration { get; } = Opt.Value("--duration", "TIME", "stop after TIME; default: until Ctrl-C", OptionValues.Duration, "-d");
    public InfluxOptionGroup Influx { get; } = new(defaultQueueLines: 1_000_000);
    public AlertOptionGroup Alerts { get; } = new();

    public Command Create()
    {
        var command = new Command("aggregate", Description);
        Kafka.AddTo(command);
        foreach (var option in new Option[] { Group, Interval, Lateness, Host, Duration })
            command.Options.Add(option);
        Influx.AddTo(command);
        Alerts.AddTo(command);
        return command;
    }

    public AggregateOptions Bind(ParseResult r)
    {
        var o = new AggregateOptions
        {
            KafkaBrokers = r.GetValue(Kafka.Brokers),
            KafkaTopic = r.GetValue(Kafka.Topic) ?? KafkaOptionGroup.DefaultTopic,
            KafkaProperties = r.GetValue(Kafka.Properties),
            Group = r.GetValue(Group) ?? s_defaults.Group,
            Interval = r.GetValue(Interval) ?? s_defaults.Interval,
            LatenessIntervals = r.GetValue(Lateness) ?? s_defaults.LatenessIntervals,
            Host = r.GetValue(Host),
            Duration = r.GetValue(Duration),
            Influx = Influx.Bind(r),
            Alerts = Alerts.Bind(r),
        };
        if (o.KafkaBrokers is null)
            throw Usage.Error("aggregate needs --kafka-brokers");
        if (o.Influx.Url is null)
            throw Usage.Error("aggregate needs --influx-url and --influx-db (or --influx-org and --influx-bucket): fleet series go to InfluxDB");
        InfluxOptionGroup.Validate(o.Influx);
        return o;
    }
}
