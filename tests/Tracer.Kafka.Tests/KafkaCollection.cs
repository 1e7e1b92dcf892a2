namespace Tracer.Kafka.Tests;

/// <summary>
/// Tests that start a mock Kafka cluster, collectors and aggregators run one at a time: each stages timing (a kill,
/// an outage) that two of them at once on a two-core machine would blur.
/// </summary>
[CollectionDefinition("kafka", DisableParallelization = true)]
public sealed class KafkaCollection;
