namespace Tracer.Elf;

/// <summary>Where a function's address came from.</summary>
public enum FunctionSource
{
    /// <summary>The .symtab symbol table.</summary>
    Symtab,

    /// <summary>The .dynsym symbol table (exported functions of shared libraries).</summary>
    Dynsym,

    /// <summary>The Go pclntab (Go binaries without .symtab, e.g. built with <c>-ldflags='-s -w'</c>).</summary>
    Pclntab,
}
