namespace Tracer.Elf.Loader;

/// <summary>Which step of the dynamic linker's search produced a library path.</summary>
public enum LibrarySearchSource
{
    /// <summary>The name contained a slash and was used as a path (DT_NEEDED or LD_PRELOAD entry).</summary>
    DirectPath,

    /// <summary>A DT_RPATH directory of the requesting object or one of its loaders.</summary>
    Rpath,

    /// <summary>An LD_LIBRARY_PATH directory.</summary>
    LdLibraryPath,

    /// <summary>A DT_RUNPATH directory of the requesting object.</summary>
    Runpath,

    /// <summary>/etc/ld.so.cache.</summary>
    Cache,

    /// <summary>One of the built-in default directories.</summary>
    DefaultDirectory,

    /// <summary>The program interpreter (PT_INTERP), which is already loaded when dependencies are searched.</summary>
    Interpreter,
}
