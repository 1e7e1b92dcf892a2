using Tracer.Core;

namespace Tracer.Probes;

/// <summary>
/// One function to probe: where it is (a file and the offset of its first instruction in that file), what it is
/// (allocator and operation, carried to BPF in the cookie) and which BPF entry program reads its arguments.
/// </summary>
public sealed record UprobeSite(string Path, ulong FileOffset, string Symbol, byte Allocator, AllocOp Op)
{
    public string EntryProgram => Op switch
    {
        AllocOp.Calloc => "alloc_enter_calloc",
        AllocOp.Realloc or AllocOp.AlignedAlloc or AllocOp.Memalign => "alloc_enter_size2",
        AllocOp.PosixMemalign => "alloc_enter_posix_memalign",
        AllocOp.Free => "alloc_enter_free",
        _ => "alloc_enter_size1",
    };

    public const string ExitProgram = "alloc_exit";

    public ulong Cookie => ((ulong)Allocator << 8) | (byte)Op;
}
