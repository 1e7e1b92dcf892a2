namespace Tracer.Elf;

/// <summary>Resolves a function name through .symtab, .dynsym and the Go pclntab, in that order.</summary>
internal static class FunctionFinder
{
    public static bool TryFind(ElfFile elf, string name, out FunctionLocation? location, out string? reason)
    {
        var symbols = elf.Symbols;
        var misses = new List<string>();

        if (!symbols.HasSymtab)
            misses.Add("no .symtab (stripped)");
        else if (TryFromTable(elf, name, SymbolSource.Symtab, misses, out location))
        {
            reason = null;
            return true;
        }

        if (!symbols.HasDynsym)
            misses.Add("no .dynsym");
        else if (TryFromTable(elf, name, SymbolSource.Dynsym, misses, out location))
        {
            reason = null;
            return true;
        }

        var pclntab = elf.Pclntab;
        if (pclntab.Table is null)
            misses.Add(StripFilePrefix(elf, pclntab.Failure!));
        else if (pclntab.Table.TryFindFunction(name, out var goFunction))
        {
            if (elf.TryVirtualAddressToFileOffset(goFunction.Entry, out ulong offset))
            {
                location = new FunctionLocation(name, goFunction.Entry, goFunction.End, offset, FunctionSource.Pclntab, FunctionSizeSource.PclntabNextEntry, null);
                reason = null;
                return true;
            }
            misses.Add($"pclntab entry 0x{goFunction.Entry:x} is not file-backed in any PT_LOAD segment");
        }
        else
            misses.Add($"Go pclntab ({pclntab.Table.Version}, {pclntab.Table.Functions.Count} functions) has no function '{name}'");

        location = null;
        reason = $"{elf.Name}: function '{name}' not found: {string.Join("; ", misses)}";
        return false;
    }

    private static bool TryFromTable(ElfFile elf, string name, SymbolSource source, List<string> misses, out FunctionLocation? location)
    {
        location = null;
        string table = source == SymbolSource.Symtab ? ".symtab" : ".dynsym";
        var symbol = elf.Symbols.Lookup(name)
            .Where(s => s.Source == source && s.IsFunction && s.IsDefined)
            .OrderBy(s => s.IsDefaultVersion ? 0 : 1)
            .ThenBy(s => s.Binding == SymbolBinding.Local ? 1 : 0)
            .FirstOrDefault();
        if (symbol is null)
        {
            misses.Add($"{table} has no defined function '{name}'");
            return false;
        }
        if (!elf.TryVirtualAddressToFileOffset(symbol.Value, out ulong offset))
        {
            misses.Add($"{table} symbol at 0x{symbol.Value:x} is not file-backed in any PT_LOAD segment");
            return false;
        }

        ulong end = symbol.Value + symbol.Size;
        var sizeSource = FunctionSizeSource.SymbolSize;
        if (symbol.Size == 0)
        {
            // Hand-written assembly often has no st_size; Go's table still knows where the next function starts.
            if (elf.Pclntab.Table?.FindFunctionContaining(symbol.Value) is { } f && f.Entry == symbol.Value)
            {
                end = f.End;
                sizeSource = FunctionSizeSource.PclntabNextEntry;
            }
            else
                sizeSource = FunctionSizeSource.Unknown;
        }
        location = new FunctionLocation(name, symbol.Value, end, offset, source == SymbolSource.Symtab ? FunctionSource.Symtab : FunctionSource.Dynsym, sizeSource, symbol);
        return true;
    }

    private static string StripFilePrefix(ElfFile elf, string message) =>
        message.StartsWith(elf.Name + ": ", StringComparison.Ordinal) ? message[(elf.Name.Length + 2)..] : message;
}
