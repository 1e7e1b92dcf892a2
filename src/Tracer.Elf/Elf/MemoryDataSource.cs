namespace Tracer.Elf;

/// <summary>An ELF image already in memory (crafted test images, buffers handed over by a caller).</summary>
internal sealed class MemoryDataSource(ReadOnlyMemory<byte> image) : IElfDataSource
{
    public long Length => image.Length;

    public ReadOnlyMemory<byte> Read(long offset, int length) => image.Slice(checked((int)offset), length);

    public void Dispose()
    {
    }
}
