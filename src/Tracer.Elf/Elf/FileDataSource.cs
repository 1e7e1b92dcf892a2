using Microsoft.Win32.SafeHandles;

namespace Tracer.Elf;

/// <summary>
/// Reads ranges of a file on demand with positional reads, so large binaries (hundreds of MB of Go
/// or debug info) cost only the bytes actually parsed.
/// </summary>
internal sealed class FileDataSource : IElfDataSource
{
    private readonly SafeFileHandle _handle;

    public FileDataSource(string path)
    {
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        Length = RandomAccess.GetLength(_handle);
    }

    public long Length { get; }

    public ReadOnlyMemory<byte> Read(long offset, int length)
    {
        var buffer = new byte[length];
        int filled = 0;
        while (filled < length)
        {
            int n = RandomAccess.Read(_handle, buffer.AsSpan(filled), offset + filled);
            if (n == 0)
                throw new ElfFormatException($"file ended at offset 0x{offset + filled:x} while reading 0x{length:x} bytes at 0x{offset:x}");
            filled += n;
        }
        return buffer;
    }

    public void Dispose() => _handle.Dispose();
}
