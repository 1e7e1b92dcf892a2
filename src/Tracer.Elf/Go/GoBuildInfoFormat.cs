namespace Tracer.Elf.Go;

/// <summary>How the <c>.go.buildinfo</c> blob stores its strings.</summary>
public enum GoBuildInfoFormat
{
    /// <summary>Before Go 1.18: the header holds addresses of Go string headers in the data segment.</summary>
    Pointers,

    /// <summary>Go 1.18 and later: varint-length-prefixed strings follow the 32-byte header.</summary>
    InlineStrings,
}
