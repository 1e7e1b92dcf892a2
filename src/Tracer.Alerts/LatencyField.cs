using Tracer.Core;

namespace Tracer.Alerts;

/// <summary>The latency field of a series a rule compares: the names of docs/schema.md.</summary>
public enum LatencyField
{
    P50,
    P90,
    P99,
    P999,
    P9999,
    Max,
    Mean,
}

/// <summary>Names and values of <see cref="LatencyField"/>.</summary>
public static class LatencyFields
{
    /// <summary>The field name as written in line protocol (<c>p999</c>).</summary>
    public static string Name(this LatencyField field) => field switch
    {
        LatencyField.P50 => "p50",
        LatencyField.P90 => "p90",
        LatencyField.P99 => "p99",
        LatencyField.P999 => "p999",
        LatencyField.P9999 => "p9999",
        LatencyField.Max => "max",
        _ => "mean",
    };

    public static long Of(this LatencyField field, in LatencyStats s) => field switch
    {
        LatencyField.P50 => s.P50,
        LatencyField.P90 => s.P90,
        LatencyField.P99 => s.P99,
        LatencyField.P999 => s.P999,
        LatencyField.P9999 => s.P9999,
        LatencyField.Max => s.Max,
        _ => s.Mean,
    };

    /// <summary>Accepts the schema names and the dotted forms people type (<c>p99.9</c>, <c>p99.99</c>).</summary>
    public static bool TryParse(string text, out LatencyField field)
    {
        LatencyField? f = text.ToLowerInvariant() switch
        {
            "p50" or "median" => LatencyField.P50,
            "p90" => LatencyField.P90,
            "p99" => LatencyField.P99,
            "p999" or "p99.9" => LatencyField.P999,
            "p9999" or "p99.99" => LatencyField.P9999,
            "max" => LatencyField.Max,
            "mean" => LatencyField.Mean,
            _ => null,
        };
        field = f ?? default;
        return f is not null;
    }
}
