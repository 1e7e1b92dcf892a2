using System.Diagnostics;
using System.Runtime.InteropServices;
using Tracer.Core;
using Tracer.Native;

namespace Tracer.Probes;

/// <summary>
/// Measures what a probed call costs on this host: the collector's own libc malloc is timed bare, then with the
/// same entry and return programs precise mode uses (the collector is not a target, so the programs take their
/// early exit, as for a small allocation), then the probes are removed again.
/// </summary>
internal static class UprobeCost
{
    public static double MeasureNs(BpfObject obj, int calls)
    {
        int self = Environment.ProcessId;
        string libc = ProcMaps.ExecutableFiles(ProcMaps.Read(self)).FirstOrDefault(f => Path.GetFileName(f).StartsWith("libc.so", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("libc is not mapped in the collector");
        using var elf = Tracer.Elf.ElfFile.Open(libc);
        if (!elf.Symbols.TryGetDefinedFunction("malloc", out var malloc))
            throw new InvalidOperationException("libc has no malloc symbol");
        ulong offset = elf.VirtualAddressToFileOffset(malloc.Value);

        static long Time(int n)
        {
            long best = long.MaxValue;
            for (int round = 0; round < 3; round++)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < n; i++)
                    Marshal.FreeHGlobal(Marshal.AllocHGlobal(16));
                best = Math.Min(best, Stopwatch.GetTimestamp() - t0);
            }
            return best;
        }

        long bare = Time(calls);
        var site = new UprobeSite(libc, offset, "malloc", Allocators.Glibc, AllocOp.Malloc);
        using (obj.AttachUprobe(site.EntryProgram!, self, libc, offset, site.Cookie, retprobe: false))
        using (obj.AttachUprobe(UprobeSite.AllocExitProgram, self, libc, offset, site.Cookie, retprobe: true))
        {
            long probed = Time(calls);
            return Math.Max(0, (probed - bare) * 1e9 / Stopwatch.Frequency / calls);
        }
    }
}
