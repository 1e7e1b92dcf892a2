namespace Tracer.Elf.Loader;

/// <summary>System facts <see cref="LibraryResolver"/> needs; the defaults describe Debian x86-64.</summary>
public sealed record LibraryResolverOptions
{
    /// <summary>The ld.so cache; null or a missing file skips the cache step.</summary>
    public string? CachePath { get; init; } = LdSoCache.DefaultPath;

    /// <summary>The system-wide preload list; null or a missing file means none.</summary>
    public string? PreloadFilePath { get; init; } = "/etc/ld.so.preload";

    /// <summary>Directories searched last, unless the requester has DF_1_NODEFLIB.</summary>
    public IReadOnlyList<string> DefaultDirectories { get; init; } =
        ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"];

    /// <summary>Expansion of <c>$LIB</c> in search paths.</summary>
    public string Lib { get; init; } = "lib/x86_64-linux-gnu";

    /// <summary>Expansion of <c>$PLATFORM</c> in search paths.</summary>
    public string Platform { get; init; } = "x86_64";

    /// <summary>Base for relative paths; null means the process's current directory.</summary>
    public string? WorkingDirectory { get; init; }
}
