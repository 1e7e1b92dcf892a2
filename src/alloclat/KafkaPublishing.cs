using Tracer.Core;
using Tracer.Kafka;

namespace Alloclat.Cli;

/// <summary>The Kafka settings of a command: brokers and topic from its options, security from file and environment.</summary>
internal static class KafkaPublishing
{
    public static KafkaSettings Settings(string brokers, string topic, string? propertiesFile)
    {
        try
        {
            return new KafkaSettings { Brokers = brokers, Topic = topic, Properties = KafkaSettings.LoadProperties(propertiesFile) };
        }
        catch (ArgumentException e)
        {
            throw new AlloclatException(ReturnCode.ArgumentError, e.Message);
        }
    }

    /// <summary>The producer sink of <c>record --kafka-brokers</c>.</summary>
    public static KafkaSink Open(KafkaSettings settings, int queueMessages, TextWriter log)
    {
        try
        {
            var sink = new KafkaSink(settings, log, queueMessages);
            log.WriteLine($"[INFO] publishing histograms to Kafka at {settings.Brokers}, topic {settings.Topic} (up to {queueMessages} messages queued while brokers are unreachable)");
            return sink;
        }
        catch (Confluent.Kafka.KafkaException e)
        {
            throw new AlloclatException(ReturnCode.ArgumentError, $"Kafka producer settings rejected: {e.Error.Reason}");
        }
        catch (ArgumentException e)
        {
            throw new AlloclatException(ReturnCode.ArgumentError, $"Kafka producer settings rejected: {e.Message}");
        }
    }
}
