using Confluent.Kafka;

namespace Tracer.Kafka;

/// <summary>
/// Where the brokers are and how to talk to them. Security settings (SASL, TLS) never come from the command line:
/// they come from a librdkafka properties file (<c>--kafka-properties FILE</c>, <c>name=value</c> lines) and from
/// environment variables <c>ALLOCLAT_KAFKA_&lt;NAME&gt;</c>, where NAME is the librdkafka property in upper case with
/// dots as underscores (<c>ALLOCLAT_KAFKA_SASL_PASSWORD</c> is <c>sasl.password</c>). The environment wins.
/// </summary>
public sealed record KafkaSettings
{
    public const string DefaultTopic = "alloclat.histograms";
    public const string EnvironmentPrefix = "ALLOCLAT_KAFKA_";

    public required string Brokers { get; init; }

    public string Topic { get; init; } = DefaultTopic;

    /// <summary>librdkafka properties from the properties file and the environment (applied last, they win).</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Reads the properties file (if any) and the environment. Throws <see cref="ArgumentException"/> with a sentence
    /// naming the file and line for a malformed file.
    /// </summary>
    public static IReadOnlyDictionary<string, string> LoadProperties(string? file, IDictionary<string, string?>? environment = null)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (file is not null)
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"cannot read Kafka properties file {file}: {e.Message}");
            }
            for (int n = 1; n <= lines.Length; n++)
            {
                string line = lines[n - 1].Trim();
                if (line.Length == 0 || line[0] is '#' or '!')
                    continue;
                int eq = line.IndexOf('=');
                if (eq <= 0)
                    throw new ArgumentException($"{file}:{n}: expected 'property=value', got '{line}'");
                result[line[..eq].Trim()] = line[(eq + 1)..].Trim();
            }
        }
        var env = environment ?? Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value);
        foreach (var (key, value) in env)
            if (key.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) && key.Length > EnvironmentPrefix.Length && value is not null)
                result[key[EnvironmentPrefix.Length..].ToLowerInvariant().Replace('_', '.')] = value;
        return result;
    }

    /// <summary>Our settings first, then the user's properties over them.</summary>
    internal T Apply<T>(T config) where T : ClientConfig
    {
        config.BootstrapServers = Brokers;
        foreach (var (k, v) in Properties)
            config.Set(k, v);
        return config;
    }
}
