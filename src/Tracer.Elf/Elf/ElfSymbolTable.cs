namespace Tracer.Elf;

/// <summary>
/// The named symbols of one ELF file from both .symtab and .dynsym, indexed by name and by
/// address. A function usually appears in both tables; each appearance is kept with its
/// <see cref="ElfSymbol.Source"/>.
/// </summary>
public sealed class ElfSymbolTable
{
    private readonly Dictionary<string, List<ElfSymbol>> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, List<ElfSymbol>> _functionsByAddress = new();

    internal ElfSymbolTable(IReadOnlyList<ElfSymbol> symbols, bool hasSymtab, bool hasDynsym)
    {
        All = symbols;
        HasSymtab = hasSymtab;
        HasDynsym = hasDynsym;
        Functions = symbols.Where(s => s.IsFunction).ToArray();
        foreach (var s in symbols)
        {
            if (!_byName.TryGetValue(s.Name, out var list))
                _byName[s.Name] = list = [];
            list.Add(s);
            if (s.IsFunction && s.IsDefined)
            {
                if (!_functionsByAddress.TryGetValue(s.Value, out var at))
                    _functionsByAddress[s.Value] = at = [];
                at.Add(s);
            }
        }
    }

    /// <summary>True when the file has a .symtab section (i.e. was not stripped).</summary>
    public bool HasSymtab { get; }

    /// <summary>True when the file has a .dynsym section.</summary>
    public bool HasDynsym { get; }

    /// <summary>Every named symbol of any kind, .symtab entries first, each table in file order.</summary>
    public IReadOnlyList<ElfSymbol> All { get; }

    /// <summary>The STT_FUNC and STT_GNU_IFUNC symbols, defined or not.</summary>
    public IReadOnlyList<ElfSymbol> Functions { get; }

    /// <summary>
    /// All symbols of any kind called <paramref name="name"/>. A name with a version suffix
    /// (<c>memcpy@GLIBC_2.2.5</c>, <c>malloc@@GLIBC_2.2.5</c>) matches only that version.
    /// </summary>
    public IReadOnlyList<ElfSymbol> Lookup(string name)
    {
        var (baseName, version, _) = SymbolVersions.Split(name);
        if (!_byName.TryGetValue(baseName, out var list))
            return [];
        return version is null ? list : list.Where(s => s.Version == version).ToArray();
    }

    /// <summary>
    /// The defined function a caller most likely means by <paramref name="name"/>: the default
    /// (non-hidden) version before compatibility versions, global before weak before local, .symtab
    /// before .dynsym.
    /// </summary>
    public bool TryGetDefinedFunction(string name, out ElfSymbol symbol)
    {
        symbol = Lookup(name)
            .Where(s => s.IsFunction && s.IsDefined)
            .OrderBy(s => s.IsDefaultVersion ? 0 : 1)
            .ThenBy(s => BindingRank(s.Binding))
            .ThenBy(s => s.Source)
            .FirstOrDefault()!;
        return symbol is not null;
    }

    /// <summary>All defined function symbols whose value is <paramref name="address"/> (aliases such as <c>malloc</c>/<c>__libc_malloc</c>).</summary>
    public IReadOnlyList<ElfSymbol> FunctionsAt(ulong address) =>
        _functionsByAddress.TryGetValue(address, out var list) ? list : [];

    /// <summary>The distinct names of the defined functions at <paramref name="address"/>, ordinal-sorted.</summary>
    public IReadOnlyList<string> FunctionNamesAt(ulong address) =>
        FunctionsAt(address).Select(s => s.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    private static int BindingRank(SymbolBinding binding) => binding switch
    {
        SymbolBinding.Global => 0,
        SymbolBinding.GnuUnique => 0,
        SymbolBinding.Weak => 1,
        _ => 2,
    };
}
