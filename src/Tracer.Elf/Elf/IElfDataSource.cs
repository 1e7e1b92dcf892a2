namespace Tracer.Elf;

/// <summary>Random access to the bytes of an ELF image, without holding the whole file in memory.</summary>
internal interface IElfDataSource : IDisposable
{
    long Length { get; }

    /// <summary>Returns exactly <paramref name="length"/> bytes at <paramref name="offset"/>; a file source copies, a memory source slices.</summary>
    ReadOnlyMemory<byte> Read(long offset, int length);
}
