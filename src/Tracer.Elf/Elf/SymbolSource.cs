namespace Tracer.Elf;

/// <summary>Which symbol table a symbol came from.</summary>
public enum SymbolSource : byte
{
    /// <summary>.symtab: all symbols, removed by <c>strip</c>.</summary>
    Symtab,

    /// <summary>.dynsym: the exported/imported symbols the dynamic linker uses.</summary>
    Dynsym,
}
