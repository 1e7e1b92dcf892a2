using System.Runtime.InteropServices;

namespace Tracer.Native;

/// <summary>
/// The functions of known cost the probes are calibrated on (<c>native/alloclat-calib.c</c>, installed next to the
/// collector): each returns its argument at once, one starting with an instruction the kernel emulates in a uprobe
/// trap, the other with one it single-steps.
/// </summary>
public sealed unsafe class CalibrationLibrary : IDisposable
{
    public const string FileName = "liballoclat-calib.so";
    public const string EmulatedSymbol = "alloclat_calib_emulated", SteppedSymbol = "alloclat_calib_stepped";
    private const string ChunkSymbol = "alloclat_calib_chunk";

    private readonly IntPtr _handle;
    private readonly delegate* unmanaged<nuint, nuint> _emulated, _stepped;

    private CalibrationLibrary(string path, IntPtr handle)
    {
        Path = path;
        _handle = handle;
        _emulated = (delegate* unmanaged<nuint, nuint>)NativeLibrary.GetExport(handle, EmulatedSymbol);
        _stepped = (delegate* unmanaged<nuint, nuint>)NativeLibrary.GetExport(handle, SteppedSymbol);
        // The chunk's data begins after its two header words.
        Block = (nuint)NativeLibrary.GetExport(handle, ChunkSymbol) + 2 * (nuint)sizeof(ulong);
    }

    /// <summary>The library installed next to the collector's own executable.</summary>
    public static string DefaultPath => System.IO.Path.Combine(AppContext.BaseDirectory, FileName);

    /// <summary>
    /// The address of a block laid out as glibc's malloc lays out a large one: its header says a size above any size
    /// filter. Calls with it as their argument go the way of a large malloc+free pair of glibc's.
    /// </summary>
    public nuint Block { get; }

    /// <summary>The file the functions are in, for placing uprobes on them.</summary>
    public string Path { get; }

    /// <exception cref="FileNotFoundException">the library is missing</exception>
    /// <exception cref="DllNotFoundException">it cannot be loaded</exception>
    /// <exception cref="EntryPointNotFoundException">it lacks a function</exception>
    public static CalibrationLibrary Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} is missing", path);
        var handle = NativeLibrary.Load(path);
        try
        {
            return new CalibrationLibrary(path, handle);
        }
        catch
        {
            NativeLibrary.Free(handle);
            throw;
        }
    }

    /// <summary>Calls each function <paramref name="pairs"/> times, alternately, with <paramref name="argument"/>.</summary>
    public void CallPairs(nuint argument, int pairs)
    {
        for (int i = 0; i < pairs; i++)
        {
            _emulated(argument);
            _stepped(argument);
        }
    }

    public void Dispose() => NativeLibrary.Free(_handle);
}
