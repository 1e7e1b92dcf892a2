using System.Buffers;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// Writes every interval as line protocol to a file (importable with <c>influx -import</c> or any line-protocol
/// reader). Each interval is flushed to the operating system before <see cref="WriteAsync"/> returns, so a
/// crash loses at most the interval being written; dispose also syncs the file to disk.
/// </summary>
public sealed class FileSink : ISnapshotSink
{
    private readonly FileStream _stream;
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
    private bool _disposed;

    /// <summary>
    /// Creates <paramref name="path"/>, replacing an older file of that name as <c>perf record -o</c> does, so a
    /// file always holds exactly one run; throws if it cannot be created.
    /// </summary>
    public FileSink(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        _stream = new FileStream(Path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024, useAsync: false);
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
        // Deliberately not cancellable: the last interval is written while the CLI is shutting down, and a
        // cancelled write could leave half a line behind.
        await _stream.WriteAsync(_buffer.WrittenMemory, CancellationToken.None).ConfigureAwait(false);
        await _stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        if (_disposed)
            return ValueTask.CompletedTask;
        _disposed = true;
        try
        {
            _stream.Flush(flushToDisk: true);
        }
        finally
        {
            _stream.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
