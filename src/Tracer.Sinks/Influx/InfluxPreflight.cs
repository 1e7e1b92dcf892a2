namespace Tracer.Sinks;

/// <summary>
/// The start-up check against InfluxDB 2.x: the org and the bucket exist and the token may write to them, told
/// in one line (<see cref="InfluxPingResult.Message"/>) before any point is queued. It runs one empty write
/// (<see cref="InfluxClientTransport.PreflightAsync"/>), so a token with write permission only (no read on orgs
/// or buckets) passes too.
/// </summary>
internal static class InfluxPreflight
{
    /// <summary>InfluxDB 2.x names itself in <c>X-Influxdb-Version</c> as <c>2.7.10</c> or <c>v2.7.10</c>.</summary>
    public static bool IsInfluxDb2(string? version) =>
        version is not null && (version.StartsWith("2.", StringComparison.Ordinal) || version.StartsWith("v2.", StringComparison.Ordinal));

    public static async Task<InfluxPingResult> RunAsync(InfluxClientTransport client, InfluxWriterOptions options, int pingStatus, string version,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        string server = $"InfluxDB {version} at {options.Url}";
        InfluxWriteAnswer answer;
        try
        {
            answer = await client.PreflightAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new InfluxPingResult(true, false, pingStatus, version, false,
                $"{server} answered /ping but not the write check within {options.RequestTimeout.TotalSeconds:0.#} s; writes will be retried");
        }
        string shown = InfluxServerMessage.OneLine(answer.Message);
        bool ok = answer.Delivered || (answer.Status == 400 && answer.Message.Contains("writing requires points", StringComparison.OrdinalIgnoreCase));
        if (ok)
            return new InfluxPingResult(true, true, pingStatus, version, false,
                $"{server} is reachable; org \"{options.Org}\" and bucket \"{options.Bucket}\" exist and the token may write to them");
        string message = answer.Status switch
        {
            0 => $"{server} answered /ping but the write check failed: {shown}; writes will be retried",
            401 => $"{server} rejected the token (401): {shown}; check ALLOCLAT_INFLUX_TOKEN / --influx-token-file",
            403 => $"{server}: the token may not write to bucket \"{options.Bucket}\" of org \"{options.Org}\" (403): {shown}; give it write permission on that bucket",
            404 when shown.Contains("organization", StringComparison.OrdinalIgnoreCase) =>
                $"{server} has no org \"{options.Org}\" (404): {shown}; fix --influx-org or create the org",
            404 => $"{server} has no bucket \"{options.Bucket}\" in org \"{options.Org}\" (404): {shown}; fix --influx-bucket or create the bucket",
            _ => $"{server} answered the write check with {answer.Status}: {shown}",
        };
        return new InfluxPingResult(true, false, pingStatus, version, false, message);
    }
}
