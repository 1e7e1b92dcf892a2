namespace Tracer.Elf.Go;

/// <summary>
/// Thrown when Go runtime metadata (<c>.go.buildinfo</c>, pclntab) is present but truncated or
/// inconsistent.
/// </summary>
public sealed class GoFormatException : ElfFormatException
{
    /// <summary>Creates the exception with a message naming what is wrong and where.</summary>
    public GoFormatException(string message) : base(message)
    {
    }
}
