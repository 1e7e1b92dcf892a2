namespace Tracer.Elf;

/// <summary>Where a function's end address came from, which matters for how far return sites are searched.</summary>
public enum FunctionSizeSource
{
    /// <summary>st_size of the symbol: ends right after the last instruction.</summary>
    SymbolSize,

    /// <summary>The next function's entry in the Go pclntab: includes the alignment padding (INT3 bytes) after the function.</summary>
    PclntabNextEntry,

    /// <summary>The symbol has no size and nothing else tells it; End equals Start.</summary>
    Unknown,
}
