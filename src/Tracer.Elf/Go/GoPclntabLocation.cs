namespace Tracer.Elf.Go;

/// <summary>How the pclntab was found.</summary>
public enum GoPclntabLocation
{
    /// <summary>A section header named <c>.gopclntab</c> (or <c>.data.rel.ro.gopclntab</c> in internally linked PIE).</summary>
    Section,

    /// <summary>The <c>runtime.pcheader</c> or <c>runtime.pclntab</c> symbol in .symtab.</summary>
    Symbol,

    /// <summary>The runtime's module descriptor (<c>runtime.firstmoduledata</c>), which points at the header.</summary>
    ModuleData,

    /// <summary>A search of the PT_LOAD segments for a valid pclntab header (no section, no symbols).</summary>
    SegmentScan,
}
