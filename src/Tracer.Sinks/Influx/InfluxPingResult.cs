namespace Tracer.Sinks;

/// <summary>Outcome of <see cref="InfluxWriter.PingAsync"/>; <see cref="Message"/> is one line for the user.</summary>
/// <param name="Reachable">The server answered HTTP at all.</param>
/// <param name="Ok">Reachable and, where attempted, the database is ready; otherwise print <see cref="Message"/> as a warning.</param>
/// <param name="StatusCode">Status of the <c>/ping</c> answer, if any.</param>
/// <param name="ServerVersion"><c>X-Influxdb-Version</c> header, if the server sent one.</param>
/// <param name="DatabaseEnsured">InfluxDB 1.x accepted <c>CREATE DATABASE</c> (it is idempotent: the database may have existed).</param>
/// <param name="Message">What happened, without secrets.</param>
public sealed record InfluxPingResult(
    bool Reachable, bool Ok, int? StatusCode, string? ServerVersion, bool DatabaseEnsured, string Message)
{
    /// <summary>
    /// A configuration error found at start (an untrusted TLS certificate): the writer is in that fatal state
    /// already, and <see cref="Message"/> is its one line, to be shown as an error rather than as "unreachable".
    /// </summary>
    public InfluxFatalError? Fatal { get; init; }
}
