using System.Runtime.InteropServices;

namespace Tracer.Native.Interop;

/// <summary>Mirror of <c>struct hist_series_key</c> in bpf/alloclat.h: one series of the in-kernel histograms.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct HistSeriesKey
{
    public uint Pid;
    public byte Allocator;
    public byte Op;
    public byte SizeClass;
    public byte Pad;
}

/// <summary>Mirror of <c>struct hist_block_key</c>: one block of buckets of one series.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct HistBlockKey
{
    public HistSeriesKey Series;

    /// <summary>The block's first bucket is <c>Block &lt;&lt; <see cref="HistBlock.Bits"/></c>.</summary>
    public uint Block;
}

/// <summary>Mirror of <c>struct hist_block</c>: consecutive buckets (HdrHistogram's counts indexes) of one series.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct HistBlock
{
    /// <summary><c>HIST_BLOCK_BITS</c>.</summary>
    public const int Bits = 9;

    /// <summary><c>HIST_BLOCK_BUCKETS</c>.</summary>
    public const int Buckets = 1 << Bits;

    public ulong Bytes;
    public fixed byte Comm[AllocEvent.CommLength];
    public fixed uint Counts[Buckets];

    /// <summary>Whether the block has the process's name (taken by the program that made it).</summary>
    public readonly bool HasComm
    {
        get
        {
            fixed (byte* c = Comm)
                return c[0] != 0;
        }
    }

    /// <summary>Copies the process's name (NUL padded) into <paramref name="destination"/>.</summary>
    public readonly void CopyCommTo(Span<byte> destination)
    {
        fixed (byte* c = Comm)
            new ReadOnlySpan<byte>(c, AllocEvent.CommLength).CopyTo(destination);
    }

    /// <summary>The calls counted in the block's <paramref name="i"/>th bucket.</summary>
    public readonly uint Count(int i)
    {
        fixed (uint* c = Counts)
            return c[i];
    }

    /// <summary>Sets the counts and bytes back to zero; the name stays.</summary>
    public void Clear()
    {
        Bytes = 0;
        fixed (uint* c = Counts)
            new Span<uint>(c, Buckets).Clear();
    }
}

/// <summary>Mirror of <c>struct hist_control</c>, the one entry of the <c>hist_control</c> map.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct HistControl
{
    /// <summary><c>HIST_AGGREGATE</c>: calls are counted in the tables, not sent as events.</summary>
    public const uint Aggregate = 1;

    /// <summary><c>HIST_AND_EVENTS</c>: counted in the tables and sent as events too.</summary>
    public const uint AndEvents = 2;

    public uint Slot;
    public uint Enabled;

    /// <summary>Bit per operation number: the operations whose latencies have <see cref="ProbeBias"/> taken off.</summary>
    public uint CorrectedOps;

    public uint Pad;

    /// <summary>Entries of the <c>hist_stepped</c> table: 32 operation slots per allocator.</summary>
    public const int SteppedEntries = 256 << 5;

    /// <summary>The <c>hist_stepped</c> index of an allocator's operation (<c>HIST_STEPPED_INDEX</c>).</summary>
    public static uint SteppedIndex(byte allocator, byte op) => ((uint)allocator << 5) | (op & 31u);
}

/// <summary>Mirror of <c>struct probe_bias</c>: the probes' cost on one CPU, an entry of the <c>probe_bias</c> table.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ProbeBias
{
    /// <summary>Entries of the table, indexed by CPU number (<c>ALLOCLAT_MAX_CPUS</c>).</summary>
    public const int MaxCpus = 1024;

    /// <summary>Taken off each corrected latency before it is counted (emulated entry).</summary>
    public uint BiasNs;

    /// <summary>The same where the function's first instruction is single-stepped (marked in <c>hist_stepped</c>).</summary>
    public uint SteppedBiasNs;
}
