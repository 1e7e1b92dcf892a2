using System.Text;

namespace Tracer.Sinks.Tests;

public sealed class FileSinkTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "alloclat-filesink-" + Guid.NewGuid().ToString("N")[..10]);

    public FileSinkTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [Fact]
    public async Task EachInterval_IsOnDiskWhenWriteAsyncReturns()
    {
        var path = Path.Combine(_dir, "out.lp");
        var first = TestData.Snapshot(TestData.GoldenTimestamp, "h", 3, 1);
        var second = TestData.NastySnapshot(TestData.GoldenTimestamp + 1_000_000_000, "h");
        await using var sink = new FileSink(path);
        Assert.Equal(path, sink.Path);

        await sink.WriteAsync(first, CancellationToken.None);
        Assert.Equal(LineProtocol.Format(first), ReadShared(path));
        await sink.WriteAsync(second, CancellationToken.None);
        Assert.Equal(LineProtocol.Format(first) + LineProtocol.Format(second), ReadShared(path));
    }

    [Fact]
    public async Task ExistingFile_IsAppendedTo_AndDisposeLosesNothing()
    {
        var path = Path.Combine(_dir, "append.lp");
        File.WriteAllText(path, "a line from an earlier run\n");
        var expected = new StringBuilder("a line from an earlier run\n");
        var sink = new FileSink(path);
        for (int i = 0; i < 500; i++)
        {
            var snapshot = TestData.Snapshot(TestData.GoldenTimestamp + i, "h", 5, i);
            expected.Append(LineProtocol.Format(snapshot));
            await sink.WriteAsync(snapshot, new CancellationToken(canceled: i == 499));
        }
        await sink.DisposeAsync();
        await sink.DisposeAsync();

        Assert.Equal(expected.ToString(), File.ReadAllText(path));
        Assert.Equal(1 + 500 * 6, File.ReadAllLines(path).Length);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => sink.WriteAsync(TestData.Snapshot(0, "h", 1, 0), CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task AtTheSizeTheFileIsRotated_KeepingWholeIntervalsAndTheNewestOlderFiles()
    {
        var path = Path.Combine(_dir, "rot.lp");
        var intervals = Enumerable.Range(0, 40).Select(i => LineProtocol.Format(TestData.Snapshot(TestData.GoldenTimestamp + i, "h", 5, i))).ToList();
        int size = intervals[0].Length;
        long max = 3 * size + size / 2;
        await using (var sink = new FileSink(path, max, keep: 2))
        {
            for (int i = 0; i < intervals.Count; i++)
                await sink.WriteAsync(TestData.Snapshot(TestData.GoldenTimestamp + i, "h", 5, i), CancellationToken.None);
        }
        // Three intervals fit under the size: 40 intervals make 14 files, of which the current one and two older remain.
        Assert.Equal(string.Concat(intervals.Skip(39)), File.ReadAllText(path));
        Assert.Equal(string.Concat(intervals.Skip(36).Take(3)), File.ReadAllText(path + ".1"));
        Assert.Equal(string.Concat(intervals.Skip(33).Take(3)), File.ReadAllText(path + ".2"));
        Assert.False(File.Exists(path + ".3"));
    }

    [Fact]
    public void UnwritablePath_FailsAtConstruction()
    {
        Assert.Throws<DirectoryNotFoundException>(() => new FileSink(Path.Combine(_dir, "missing", "x.lp")));
    }
}
