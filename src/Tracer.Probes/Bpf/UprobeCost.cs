using System.Diagnostics;
using System.Runtime.InteropServices;
using Tracer.Core;
using Tracer.Elf;
using Tracer.Native;

namespace Tracer.Probes;

/// <summary>
/// Where the calibration puts the probes precise mode uses (the functions of known cost of
/// <see cref="CalibrationLibrary"/>), and the loops it times: calls of those functions, bare or probed, and the
/// collector's own libc malloc+free pair, bare.
/// </summary>
internal static class UprobeCost
{
    /// <summary>
    /// A site on each calibration function: the function of emulated entry as glibc's <c>malloc</c>, the one of
    /// single-stepped entry as its <c>free</c>, with their programs. Called alternately with
    /// <see cref="Argument"/>, they go the way of a large malloc+free pair of glibc's: the free's entry reads the size
    /// of the "block" from the header before it.
    /// </summary>
    public static (UprobeSite Emulated, UprobeSite Stepped) Sites(CalibrationLibrary library)
    {
        using var elf = ElfFile.Open(library.Path);
        UprobeSite Site(string name, AllocOp op) => elf.Symbols.TryGetDefinedFunction(name, out var symbol)
            ? new UprobeSite(library.Path, elf.VirtualAddressToFileOffset(symbol.Value), name, Allocators.Glibc, op)
            : throw new InvalidOperationException($"{library.Path} has no {name} symbol");
        return (Site(CalibrationLibrary.EmulatedSymbol, AllocOp.Malloc), Site(CalibrationLibrary.SteppedSymbol, AllocOp.Free));
    }

    /// <summary>
    /// What the calibration calls pass: the malloc's "size", which the size filter must keep, and the block its return
    /// gives the free (<see cref="CalibrationLibrary.Block"/>, whose address is far above any size filter). Where the
    /// filter is above even that, the filter itself: the free is then not recorded, and the calibration says so.
    /// </summary>
    public static nuint Argument(CalibrationLibrary library, ulong minSize) => (nuint)Math.Max(minSize, library.Block);

    /// <summary>Puts a site's entry and return programs on it in this process only, adding both links to <paramref name="links"/>.</summary>
    public static void AttachInSelf(BpfObject obj, UprobeSite site, List<BpfLink> links)
    {
        int self = Environment.ProcessId;
        links.Add(obj.AttachUprobe(site.EntryProgram!, self, site.Path, site.FileOffset, site.Cookie, retprobe: false));
        links.Add(obj.AttachUprobe(UprobeSite.AllocExitProgram, self, site.Path, site.FileOffset, site.Cookie, retprobe: true));
    }

    /// <summary>
    /// Nanoseconds per pair of calls (one of each calibration function) with <paramref name="argument"/>: the fastest
    /// of <paramref name="rounds"/> rounds of <paramref name="pairs"/> pairs (the rounds least disturbed by the rest of
    /// the host), with <paramref name="betweenRounds"/> run outside the timed loops.
    /// </summary>
    public static double CallPairNs(CalibrationLibrary library, nuint argument, int pairs, int rounds, Action? betweenRounds = null)
    {
        long best = long.MaxValue;
        for (int round = 0; round < rounds; round++)
        {
            long t0 = Stopwatch.GetTimestamp();
            library.CallPairs(argument, pairs);
            best = Math.Min(best, Stopwatch.GetTimestamp() - t0);
            betweenRounds?.Invoke();
        }
        return best * 1e9 / Stopwatch.Frequency / pairs;
    }

    /// <summary>Nanoseconds per malloc+free pair of <paramref name="size"/> bytes of the collector's libc, unprobed.</summary>
    public static double LibcPairNs(nint size, int pairs, int rounds)
    {
        long best = long.MaxValue;
        for (int round = 0; round < rounds; round++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < pairs; i++)
                Marshal.FreeHGlobal(Marshal.AllocHGlobal(size));
            best = Math.Min(best, Stopwatch.GetTimestamp() - t0);
        }
        return best * 1e9 / Stopwatch.Frequency / pairs;
    }
}
