namespace Tracer.Kafka;

/// <summary>The cluster lacks something the aggregator needs and it could not be made; the message says what.</summary>
public sealed class AggregatorSetupException(string message) : Exception(message);
