namespace Tracer.Core;

/// <summary>
/// The traced operation, as carried in events (<c>alloc_event.op</c>). The values are shared with
/// <c>bpf/alloclat.h</c> (<c>enum alloc_op</c>); the layout test keeps the two in step.
/// </summary>
public enum AllocOp : byte
{
    Mmap = 0,
    Munmap = 1,
    Mremap = 2,
    Brk = 3,
    Malloc = 4,
    Calloc = 5,
    Realloc = 6,
    AlignedAlloc = 7,
    PosixMemalign = 8,
    Memalign = 9,
    Valloc = 10,
    Pvalloc = 11,
    Free = 12,
    GoLarge = 13,

    /// <summary>Not a call: a target executed a new image and is stopped until its probes are placed.</summary>
    ExecStopped = 14,

    /// <summary>A Go stop-the-world pause (measurement gc_pause).</summary>
    GcPause = 15,

    /// <summary>mprotect making anonymous pages accessible: a managed runtime committing reserved memory.</summary>
    Mprotect = 16,

    /// <summary>madvise releasing pages (MADV_DONTNEED, MADV_FREE, ...): a runtime decommitting memory.</summary>
    Madvise = 17,

    /// <summary>C++ operator new: plain, nothrow and aligned forms.</summary>
    New = 18,

    /// <summary>C++ operator new[]: plain, nothrow and aligned forms.</summary>
    NewArray = 19,

    /// <summary>C++ operator delete: plain, sized, nothrow and aligned forms.</summary>
    Delete = 20,

    /// <summary>C++ operator delete[]: plain, sized, nothrow and aligned forms.</summary>
    DeleteArray = 21,
    Count = 22,
}

public static class AllocOps
{
    private static readonly string[] s_names =
    [
        "mmap", "munmap", "mremap", "brk", "malloc", "calloc", "realloc", "aligned_alloc", "posix_memalign",
        "memalign", "valloc", "pvalloc", "free", "large_alloc", "exec", "gc_pause", "mprotect", "madvise",
        "new", "new_array", "delete", "delete_array",
    ];

    public static string Name(AllocOp op) => (uint)op < (uint)s_names.Length ? s_names[(int)op] : "unknown";

    public static bool TryParse(string name, out AllocOp op)
    {
        int i = Array.IndexOf(s_names, name);
        op = (AllocOp)Math.Max(i, 0);
        return i >= 0;
    }
}
