using System.IO.Compression;
using System.Text;

namespace Tracer.TestSupport;

/// <summary>A request as <see cref="ScriptedHttpServer"/> received it.</summary>
public sealed record RecordedRequest(
    string Method,
    string Target,
    string Path,
    IReadOnlyDictionary<string, string> Query,
    IReadOnlyDictionary<string, string> Headers,
    byte[] RawBody,
    long ReceivedTimestamp)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    /// <summary>The body with any <c>Content-Encoding: gzip</c> undone.</summary>
    public byte[] Body
    {
        get
        {
            if (!string.Equals(Header("Content-Encoding"), "gzip", StringComparison.OrdinalIgnoreCase))
                return RawBody;
            using var input = new GZipStream(new MemoryStream(RawBody), CompressionMode.Decompress);
            using var output = new MemoryStream();
            input.CopyTo(output);
            return output.ToArray();
        }
    }

    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>Non-empty lines of the (decoded) body.</summary>
    public IReadOnlyList<string> Lines => BodyText.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Time between two requests, from the server's monotonic clock.</summary>
    public TimeSpan Since(RecordedRequest earlier)
        => System.Diagnostics.Stopwatch.GetElapsedTime(earlier.ReceivedTimestamp, ReceivedTimestamp);
}
