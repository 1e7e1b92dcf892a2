namespace Tracer.Elf.Loader;

/// <summary>A needed or preloaded library that no search step found.</summary>
/// <param name="Name">The DT_NEEDED (or LD_PRELOAD) name.</param>
/// <param name="RequestedBy">Path of the object that needed it, or <c>LD_PRELOAD</c> / <c>/etc/ld.so.preload</c>.</param>
/// <param name="Tried">Every candidate path examined, in order, with why it was rejected when it existed.</param>
public sealed record UnresolvedLibrary(string Name, string RequestedBy, IReadOnlyList<string> Tried);
