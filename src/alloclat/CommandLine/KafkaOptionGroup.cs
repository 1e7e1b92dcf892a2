using System.CommandLine;

namespace Alloclat.Cli.CommandLine;

/// <summary>The Kafka connection options shared by <c>record</c> (producer) and <c>aggregate</c> (consumer).</summary>
internal sealed class KafkaOptionGroup
{
    public const string DefaultTopic = "alloclat.histograms";

    public KafkaOptionGroup(string brokersDescription) =>
        Brokers = Opt.Text("--kafka-brokers", "LIST", brokersDescription, OptionValues.NonEmpty);

    public Option<string?> Brokers { get; }
    public Option<string?> Topic { get; } = Opt.Text("--kafka-topic", "TOPIC", $"topic (default {DefaultTopic})", OptionValues.NonEmpty);
    public Option<string?> Properties { get; } = Opt.Text("--kafka-properties", "FILE", "librdkafka properties (SASL, TLS); also ALLOCLAT_KAFKA_<PROPERTY> variables");

    public void AddTo(Command command)
    {
        command.Options.Add(Brokers);
        command.Options.Add(Topic);
        command.Options.Add(Properties);
    }
}
