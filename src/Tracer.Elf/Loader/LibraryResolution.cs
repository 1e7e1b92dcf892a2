namespace Tracer.Elf.Loader;

/// <summary>The dependency closure of an executable as the dynamic linker would load it.</summary>
/// <param name="Executable">The executable path given.</param>
/// <param name="Interpreter">PT_INTERP of the executable, or null for a static one.</param>
/// <param name="Libraries">Loaded libraries in load order: preloads first, then breadth-first over DT_NEEDED, each once.</param>
/// <param name="Unresolved">Names no search step found (each reported once, for its first requester).</param>
public sealed record LibraryResolution(
    string Executable,
    string? Interpreter,
    IReadOnlyList<ResolvedLibrary> Libraries,
    IReadOnlyList<UnresolvedLibrary> Unresolved)
{
    /// <summary>The paths of <see cref="Libraries"/>, in load order.</summary>
    public IReadOnlyList<string> Paths => Libraries.Select(l => l.Path).ToArray();
}
