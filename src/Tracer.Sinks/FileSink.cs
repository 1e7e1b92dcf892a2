using System.Buffers;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// Writes every interval as line protocol to a file (importable with <c>influx -import</c> or any line-protocol
/// reader). Each interval is flushed to the operating system before <see cref="WriteAsync"/> returns, so a
/// crash loses at most the interval being written; dispose also syncs the file to disk. The file is appended to,
/// and rotated at a size when one is given (<see cref="RotatingFile"/>).
/// </summary>
public sealed class FileSink : ISnapshotSink
{
    private readonly RotatingFile _file;
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
    private bool _disposed;

    /// <summary>
    /// Opens <paramref name="path"/> for appending (creating it if needed): a restarted collector adds to what it
    /// wrote before. With <paramref name="maxBytes"/> the file is rotated before an interval would take it past
    /// that size, keeping <paramref name="keep"/> older files (PATH.1 the newest). Throws if it cannot be opened.
    /// </summary>
    public FileSink(string path, long? maxBytes = null, int keep = 5)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        _file = new RotatingFile(Path, maxBytes, keep);
    }

    /// <summary>Absolute path of the file.</summary>
    public string Path { get; }

    public string Name => "file";

    /// <summary>Also write each series' interval histogram (<see cref="HistogramLines"/>, <c>--histograms</c>).</summary>
    public bool Histograms { get; init; }

    public async ValueTask WriteAsync(IntervalSnapshot snapshot, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _buffer.ResetWrittenCount();
        LineProtocol.Write(snapshot, _buffer);
        if (Histograms)
            HistogramLines.Write(snapshot, _buffer);
        _file.Reserve(_buffer.WrittenCount);
        // Deliberately not cancellable: the last interval is written while the CLI is shutting down, and a
        // cancelled write could leave half a line behind.
        await _file.Stream.WriteAsync(_buffer.WrittenMemory, CancellationToken.None).ConfigureAwait(false);
        await _file.Stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        if (_disposed)
            return ValueTask.CompletedTask;
        _disposed = true;
        try
        {
            _file.Stream.Flush(flushToDisk: true);
        }
        finally
        {
            _file.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
