namespace Tracer.Sinks;

/// <summary>
/// What one write came to, before <see cref="InfluxResponseClassifier"/> decides between delivered, retry, split,
/// drop and fatal. <see cref="Status"/> 0 is a request that got no HTTP answer (<see cref="Message"/> says why).
/// </summary>
internal readonly record struct InfluxWriteAnswer(int Status, string? Reason, string Message, TimeSpan? RetryAfter, Uri? Location)
{
    public bool Delivered => Status is >= 200 and < 300;

    /// <summary>No answer because the server's TLS certificate was refused: which certificate and why.</summary>
    public string? Certificate { get; init; }
}

/// <summary>
/// Carries one batch to the server: <see cref="InfluxHttpTransport"/> (v1 <c>/write</c>, by hand) or
/// <see cref="InfluxClientTransport"/> (v2 <c>/api/v2/write</c>, through InfluxDB.Client). A transport never
/// retries; cancellation (request timeout, shutdown deadline) ends it with <see cref="OperationCanceledException"/>.
/// </summary>
internal interface IInfluxTransport : IDisposable
{
    /// <summary>Writes lines [<paramref name="start"/>, start + <paramref name="count"/>) of <paramref name="batch"/>, each ending in a newline.</summary>
    Task<InfluxWriteAnswer> WriteAsync(IReadOnlyList<byte[]> batch, int start, int count, CancellationToken cancellationToken);
}
