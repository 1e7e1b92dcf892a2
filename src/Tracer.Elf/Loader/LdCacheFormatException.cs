namespace Tracer.Elf.Loader;

/// <summary>Thrown when an <c>ld.so.cache</c> file is truncated, has an unknown magic or points outside itself.</summary>
public sealed class LdCacheFormatException : FormatException
{
    /// <summary>Creates the exception with a message naming what is wrong and where.</summary>
    public LdCacheFormatException(string message) : base(message)
    {
    }
}
