using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tracer.Sinks;

/// <summary>Reads the human message out of an InfluxDB-ish error response.</summary>
internal static partial class InfluxServerMessage
{
    private const int MaxBodyBytes = 16 * 1024;
    private const int MaxMessageChars = 400;

    /// <summary>
    /// The full message (see <see cref="OneLine"/> for printing). InfluxDB 1.x answers <c>{"error": ...}</c>, 2.x <c>{"code": ..., "message": ...}</c>, VictoriaMetrics and
    /// proxies plain text; 1.x also repeats the error in <c>X-Influxdb-Error</c>.
    /// </summary>
    public static async Task<string> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string body = "";
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = new byte[MaxBodyBytes];
            int total = 0;
            int read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
                total += read;
            body = Encoding.UTF8.GetString(buffer, 0, total);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
        }
        return Extract(body, response.Headers, response.ReasonPhrase);
    }

    public static string Extract(string body, HttpResponseHeaders? headers, string? reason)
    {
        string? message = null;
        var trimmed = body.Trim();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(trimmed);
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    foreach (var name in (ReadOnlySpan<string>)["error", "message"])
                        if (doc.RootElement.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String)
                        {
                            message = p.GetString();
                            break;
                        }
                }
            }
            catch (JsonException)
            {
            }
        }
        if (string.IsNullOrWhiteSpace(message) && headers is not null && headers.TryGetValues("X-Influxdb-Error", out var values))
            message = string.Join("; ", values);
        if (string.IsNullOrWhiteSpace(message))
            message = trimmed.Length > 0 ? trimmed : reason ?? "no message";
        return message;
    }

    public static string OneLine(string message)
    {
        var line = message.ReplaceLineEndings("; ").Trim();
        return line.Length <= MaxMessageChars ? line : string.Concat(line.AsSpan(0, MaxMessageChars), "...");
    }

    /// <summary>
    /// How many of <paramref name="batchLines"/> a 400/422 cost. InfluxDB writes the valid points of a batch and
    /// says how many it dropped (<c>dropped=N</c>) or lists each unparsable line; otherwise count the whole batch.
    /// </summary>
    public static int CountRejected(string rawMessage, int batchLines)
    {
        var m = DroppedRegex().Match(rawMessage);
        if (m.Success && int.TryParse(m.Groups[1].ValueSpan, out int dropped))
            return Math.Clamp(dropped, 0, batchLines);
        int unparsable = UnparsableRegex().Count(rawMessage);
        return unparsable > 0 ? Math.Min(unparsable, batchLines) : batchLines;
    }

    [GeneratedRegex(@"\bdropped=(\d+)")]
    private static partial Regex DroppedRegex();

    [GeneratedRegex(@"unable to parse '")]
    private static partial Regex UnparsableRegex();
}
