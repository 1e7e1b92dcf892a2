using Tracer.Core;

namespace Alloclat.Cli;

/// <summary>
/// Wraps an output file's sink: the first write that fails (a disk that filled up, a file on /dev/full) is
/// reported in one <c>[ERROR]</c> line and stops writes to that file only; the other sinks go on, and the
/// intervals not written are counted for the end of the run.
/// </summary>
internal sealed class OutputGuard : ISnapshotSink
{
    private readonly ISnapshotSink _inner;
    private readonly string _path;
    private readonly TextWriter _err;

    public OutputGuard(ISnapshotSink inner, string path, TextWriter err)
    {
        _inner = inner;
        _path = path;
        _err = err;
    }

    public string Name => _inner.Name;

    public string Path => _path;

    /// <summary>The failure that stopped writes, if one did.</summary>
    public Exception? Failure { get; private set; }

    public int Written { get; private set; }

    public int NotWritten { get; private set; }

    public async ValueTask WriteAsync(IntervalSnapshot snapshot, CancellationToken cancellationToken)
    {
        if (Failure is not null)
        {
            NotWritten++;
            return;
        }
        try
        {
            await _inner.WriteAsync(snapshot, cancellationToken).ConfigureAwait(false);
            Written++;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(e);
            NotWritten++;
        }
    }

    private void Fail(Exception e)
    {
        Failure = e;
        _err.WriteLine($"[ERROR] writing line protocol to {_path} stopped: {OutputFailure.Reason(e, _path)}; the other outputs go on");
    }

    public long TakeDropped() => _inner.TakeDropped();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The last buffered bytes could not reach the disk either.
            if (Failure is null)
                Fail(e);
        }
    }
}
