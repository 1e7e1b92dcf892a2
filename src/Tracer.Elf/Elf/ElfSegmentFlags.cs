namespace Tracer.Elf;

/// <summary>Segment permissions (<c>p_flags</c>).</summary>
[Flags]
public enum ElfSegmentFlags : uint
{
    /// <summary>No access.</summary>
    None = 0,

    /// <summary>PF_X.</summary>
    Execute = 1,

    /// <summary>PF_W.</summary>
    Write = 2,

    /// <summary>PF_R.</summary>
    Read = 4,
}
