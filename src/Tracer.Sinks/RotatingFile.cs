namespace Tracer.Sinks;

/// <summary>
/// An output file that is appended to (a restarted collector keeps what it wrote before) and, when given a size,
/// rotated like a log: before a write would take it past the size, FILE becomes FILE.1, FILE.1 becomes FILE.2 and
/// so on, the oldest beyond <c>keep</c> is deleted, and a new FILE is started. A write is never split between two
/// files, so every file holds whole lines (and whole intervals).
/// </summary>
internal sealed class RotatingFile : IDisposable
{
    private readonly long? _maxBytes;
    private readonly int _keep;

    /// <param name="path">absolute path of the file</param>
    /// <param name="maxBytes">rotate before the file would grow past this; null: never</param>
    /// <param name="keep">rotated files kept beside the current one</param>
    public RotatingFile(string path, long? maxBytes, int keep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        Path = path;
        _maxBytes = maxBytes;
        _keep = keep;
        Stream = Open();
    }

    public string Path { get; }

    public FileStream Stream { get; private set; }

    /// <summary>Rotates first if <paramref name="bytes"/> more would take a non-empty file past the size.</summary>
    public void Reserve(long bytes)
    {
        if (_maxBytes is not { } max || Stream.Length == 0 || Stream.Length + bytes <= max)
            return;
        Stream.Flush(flushToDisk: true);
        Stream.Dispose();
        string Numbered(int n) => $"{Path}.{n}";
        File.Delete(Numbered(_keep));
        for (int n = _keep - 1; n >= 1; n--)
            if (File.Exists(Numbered(n)))
                File.Move(Numbered(n), Numbered(n + 1), overwrite: true);
        File.Move(Path, Numbered(1), overwrite: true);
        Stream = Open();
    }

    private FileStream Open() =>
        new(Path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024, useAsync: false);

    public void Dispose() => Stream.Dispose();
}
