using Tracer.Core;
using Tracer.Elf;

namespace Tracer.Probes;

/// <summary>
/// Knows what the malloc family is called in each allocator and which file holds which allocator: shared
/// libraries by name, statically linked allocators by their marker symbols, and any other library that
/// exports <c>malloc</c> (an LD_PRELOAD allocator) by its own base name.
/// </summary>
public static class AllocatorCatalog
{
    /// <summary>
    /// Probed functions in order of preference: when two names share an address (glibc's aligned_alloc and
    /// memalign are one function) the earlier one names the probe.
    /// </summary>
    public static readonly IReadOnlyList<(AllocOp Op, string Name)> Functions =
    [
        (AllocOp.Malloc, "malloc"),
        (AllocOp.Calloc, "calloc"),
        (AllocOp.Realloc, "realloc"),
        (AllocOp.AlignedAlloc, "aligned_alloc"),
        (AllocOp.PosixMemalign, "posix_memalign"),
        (AllocOp.Memalign, "memalign"),
        (AllocOp.Valloc, "valloc"),
        (AllocOp.Pvalloc, "pvalloc"),
        (AllocOp.Free, "free"),
        // C++ (libstdc++, and jemalloc and tcmalloc, which define their own): every form folds into four operations.
        (AllocOp.New, "_Znwm"),
        (AllocOp.New, "_ZnwmRKSt9nothrow_t"),
        (AllocOp.New, "_ZnwmSt11align_val_t"),
        (AllocOp.New, "_ZnwmSt11align_val_tRKSt9nothrow_t"),
        (AllocOp.NewArray, "_Znam"),
        (AllocOp.NewArray, "_ZnamRKSt9nothrow_t"),
        (AllocOp.NewArray, "_ZnamSt11align_val_t"),
        (AllocOp.NewArray, "_ZnamSt11align_val_tRKSt9nothrow_t"),
        (AllocOp.Delete, "_ZdlPv"),
        (AllocOp.Delete, "_ZdlPvm"),
        (AllocOp.Delete, "_ZdlPvRKSt9nothrow_t"),
        (AllocOp.Delete, "_ZdlPvSt11align_val_t"),
        (AllocOp.Delete, "_ZdlPvmSt11align_val_t"),
        (AllocOp.Delete, "_ZdlPvSt11align_val_tRKSt9nothrow_t"),
        (AllocOp.DeleteArray, "_ZdaPv"),
        (AllocOp.DeleteArray, "_ZdaPvm"),
        (AllocOp.DeleteArray, "_ZdaPvRKSt9nothrow_t"),
        (AllocOp.DeleteArray, "_ZdaPvSt11align_val_t"),
        (AllocOp.DeleteArray, "_ZdaPvmSt11align_val_t"),
        (AllocOp.DeleteArray, "_ZdaPvSt11align_val_tRKSt9nothrow_t"),
    ];

    private static bool IsRelease(AllocOp op) => op is AllocOp.Free or AllocOp.Delete or AllocOp.DeleteArray;

    private static string? PrefixOf(byte allocator) => allocator switch
    {
        Allocators.Jemalloc => "je_",
        Allocators.Tcmalloc => "tc_",
        Allocators.Mimalloc => "mi_",
        _ => null,
    };

    /// <summary>The names looked for, for error messages.</summary>
    public static string SearchedNames =>
        string.Join(", ", Functions.Where(f => !f.Name.StartsWith("_Z", StringComparison.Ordinal)).Select(f => f.Name)) +
        " (and je_/tc_/mi_ prefixed forms), C++ operator new, new[], delete and delete[]";

    /// <summary>Which allocator a file holds, or null when it exports none of the malloc family.</summary>
    public static byte? Classify(string path, ElfFile elf)
    {
        string file = Path.GetFileName(path);
        if (file.StartsWith("libc.so", StringComparison.Ordinal) || file.StartsWith("libc-2.", StringComparison.Ordinal))
            return Allocators.Glibc;
        if (file.StartsWith("libjemalloc", StringComparison.Ordinal))
            return Allocators.Jemalloc;
        if (file.StartsWith("libtcmalloc", StringComparison.Ordinal))
            return Allocators.Tcmalloc;
        if (file.StartsWith("libmimalloc", StringComparison.Ordinal))
            return Allocators.Mimalloc;
        // libstdc++'s operator new and delete, over whatever malloc the process uses.
        if (file.StartsWith("libstdc++", StringComparison.Ordinal))
            return Allocators.IdOf("libstdc++");

        var symbols = elf.Symbols;
        bool Has(string name) => symbols.TryGetDefinedFunction(name, out _);
        if (Has("je_malloc") || Has("mallctl"))
            return Allocators.Jemalloc;
        if (Has("tc_malloc"))
            return Allocators.Tcmalloc;
        if (Has("mi_malloc"))
            return Allocators.Mimalloc;
        if (!Has("malloc"))
            return Has("_Znwm") ? Allocators.IdOf(LibraryBaseName(file)) : null;
        if (Has("__libc_malloc") && elf.Type == ElfType.Executable || Has("__libc_malloc") && Has("__libc_start_main"))
            return Allocators.Glibc;
        return Allocators.IdOf(LibraryBaseName(file));
    }

    /// <summary><c>libslowalloc.so.1</c> gives <c>slowalloc</c>; an executable keeps its name.</summary>
    public static string LibraryBaseName(string file)
    {
        string name = file.StartsWith("lib", StringComparison.Ordinal) ? file[3..] : file;
        int so = name.IndexOf(".so", StringComparison.Ordinal);
        return so > 0 ? name[..so] : name;
    }

    /// <summary>
    /// The probe sites of one allocator file, one per distinct function address.
    /// <paramref name="attachPath"/> is the path the kernel should open (through /proc/PID/root for containers).
    /// </summary>
    public static IReadOnlyList<UprobeSite> Sites(ElfFile elf, string attachPath, byte allocator, bool includeFree = true)
    {
        var sites = new List<UprobeSite>();
        var taken = new HashSet<ulong>();
        string? prefix = PrefixOf(allocator);
        foreach (var (op, name) in Functions)
        {
            if (IsRelease(op) && !includeFree)
                continue;
            if (!TryFind(elf, name, prefix, out var symbol) || !taken.Add(symbol.Value))
                continue;
            if (!elf.TryVirtualAddressToFileOffset(symbol.Value, out ulong offset))
                continue;
            sites.Add(new UprobeSite(attachPath, offset, symbol.Name, allocator, op) { Address = symbol.Value });
        }
        return sites;
    }

    private static bool TryFind(ElfFile elf, string name, string? prefix, out ElfSymbol symbol)
    {
        if (elf.Symbols.TryGetDefinedFunction(name, out symbol!) && !symbol.IsIndirectFunction)
            return true;
        return prefix is not null && elf.Symbols.TryGetDefinedFunction(prefix + name, out symbol!) && !symbol.IsIndirectFunction;
    }
}
