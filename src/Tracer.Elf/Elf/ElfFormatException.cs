namespace Tracer.Elf;

/// <summary>
/// Thrown when a file is not an ELF object this library supports (not ELF, 32-bit, big-endian,
/// not x86-64) or when one of its structures is truncated or inconsistent.
/// </summary>
public class ElfFormatException : FormatException
{
    /// <summary>Creates the exception with a message naming what is wrong and where.</summary>
    public ElfFormatException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception wrapping a lower-level failure.</summary>
    public ElfFormatException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
