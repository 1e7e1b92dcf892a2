namespace Tracer.TestSupport;

/// <summary>What <see cref="ScriptedHttpServer"/> answers to one request.</summary>
/// <param name="Status">HTTP status code.</param>
/// <param name="Body">Response body (UTF-8); JSON bodies get <c>application/json</c>.</param>
/// <param name="Headers">Extra response headers, e.g. <c>Retry-After</c>.</param>
public sealed record ScriptedResponse(int Status, string? Body = null, IReadOnlyDictionary<string, string>? Headers = null)
{
    /// <summary>Wait this long before answering (a slow or hung server).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Close the connection without answering (a crashed server or a broken network).</summary>
    public bool Disconnect { get; init; }

    public static ScriptedResponse NoContent { get; } = new(204);

    /// <summary>Drops the connection after reading the request.</summary>
    public static ScriptedResponse Drop { get; } = new(0) { Disconnect = true };

    /// <summary>An InfluxDB 1.x style error: <c>{"error": message}</c> plus the <c>X-Influxdb-Error</c> header.</summary>
    public static ScriptedResponse InfluxError(int status, string message, IReadOnlyDictionary<string, string>? headers = null)
    {
        var all = new Dictionary<string, string>(headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase)
        {
            ["X-Influxdb-Error"] = message,
        };
        return new(status, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = message }), all);
    }
}
