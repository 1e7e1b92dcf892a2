using System.IO.Compression;
using System.Net.Http.Headers;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// The InfluxDB 1.x write path (also VictoriaMetrics' <c>/write</c>): one gzip-compressed POST of line protocol
/// per batch to <see cref="InfluxEndpoint.Write"/>, and the server's answer read into an
/// <see cref="InfluxWriteAnswer"/> (status, message, <c>Retry-After</c>, <c>Location</c>).
/// </summary>
internal sealed class InfluxHttpTransport(InfluxConnection connection, InfluxEndpoint endpoint, TimeProvider time) : IInfluxTransport
{
    public async Task<InfluxWriteAnswer> WriteAsync(IReadOnlyList<byte[]> batch, int start, int count, CancellationToken cancellationToken)
    {
        var body = new MemoryStream();
        using (var gzip = new GZipStream(body, CompressionLevel.Fastest, leaveOpen: true))
        {
            for (int i = start; i < start + count; i++)
                gzip.Write(batch[i]);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Write);
        var content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        content.Headers.ContentEncoding.Add("gzip");
        request.Content = content;
        request.Headers.Authorization = endpoint.Authorization;
        try
        {
            using var response = await connection.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
                return new InfluxWriteAnswer(status, response.ReasonPhrase, "", null, null);
            string message = await InfluxServerMessage.ReadAsync(response, cancellationToken).ConfigureAwait(false);
            TimeSpan? retryAfter = response.Headers.TryGetValues("Retry-After", out var values)
                && RetryPolicy.TryParseRetryAfter(values.FirstOrDefault(), time.GetUtcNow(), out var ra) ? ra : null;
            return new InfluxWriteAnswer(status, response.ReasonPhrase, message, retryAfter, response.Headers.Location);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return connection.NoAnswer(e);
        }
    }

    public void Dispose()
    {
    }
}
