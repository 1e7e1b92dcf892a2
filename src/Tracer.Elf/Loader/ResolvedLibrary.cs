namespace Tracer.Elf.Loader;

/// <summary>A library the dynamic linker would load.</summary>
/// <param name="Name">The DT_NEEDED (or LD_PRELOAD) name that first asked for it.</param>
/// <param name="Path">The path as ld.so would open it (not symlink-resolved), as <c>ldd</c> prints it.</param>
/// <param name="Soname">The library's DT_SONAME, if any.</param>
/// <param name="Source">The search step that found it.</param>
/// <param name="RequestedBy">Path of the object whose DT_NEEDED named it, or <c>LD_PRELOAD</c> / <c>/etc/ld.so.preload</c>.</param>
/// <param name="IsPreload">True when it came from LD_PRELOAD or /etc/ld.so.preload.</param>
public sealed record ResolvedLibrary(string Name, string Path, string? Soname, LibrarySearchSource Source, string RequestedBy, bool IsPreload);
