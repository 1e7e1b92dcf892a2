using Tracer.Core;

namespace Tracer.Probes;

/// <summary>
/// One function to probe: where it is (a file and the offset of its first instruction in that file), what it is
/// (allocator and operation, carried to BPF in the cookie) and which BPF programs run at its entry and return.
/// </summary>
public sealed record UprobeSite(string Path, ulong FileOffset, string Symbol, byte Allocator, AllocOp Op)
{
    public const string AllocExitProgram = BpfPrograms.AllocExit;

    /// <summary>The program at the function's first instruction, or null for a return-only probe.</summary>
    public string? EntryProgram { get; init; } = Op switch
    {
        AllocOp.Calloc => BpfPrograms.AllocEnterCalloc,
        AllocOp.Realloc or AllocOp.AlignedAlloc or AllocOp.Memalign => BpfPrograms.AllocEnterSize2,
        AllocOp.PosixMemalign => BpfPrograms.AllocEnterPosixMemalign,
        AllocOp.Free or AllocOp.Delete or AllocOp.DeleteArray => BpfPrograms.AllocEnterFree,
        _ => BpfPrograms.AllocEnterSize1,
    };

    /// <summary>The program at the function's return, or null for an entry-only probe.</summary>
    public string? ExitProgram { get; init; } = AllocExitProgram;

    /// <summary>
    /// Null: the exit program is a uretprobe. Otherwise the file offsets of every RET instruction, where the exit
    /// program is placed as a plain uprobe (Go code, whose stacks move, must never get a uretprobe), or of the one
    /// instruction that stands for the only RET (<see cref="ReturnsStoodFor"/>).
    /// </summary>
    public IReadOnlyList<ulong>? ReturnOffsets { get; init; }

    /// <summary>Virtual address of the function's entry in its file, when known (for the verbose listing).</summary>
    public ulong? Address { get; init; }

    /// <summary>Virtual addresses of the RET instructions behind <see cref="ReturnOffsets"/>, when known.</summary>
    public IReadOnlyList<ulong>? ReturnAddresses { get; init; }

    /// <summary>
    /// Set when <see cref="ReturnOffsets"/> is not the RET itself but an instruction every path to it passes once,
    /// where the probe is emulated: the RET's address.
    /// </summary>
    public ulong? ReturnsStoodFor { get; init; }

    /// <summary>Extra cookie bits above allocator and operation (bits 16 and up), read by the BPF program.</summary>
    public ulong CookieFlags { get; init; }

    /// <summary>Why the site is placed as it is, when that is worth a line of the verbose listing.</summary>
    public string? Note { get; init; }

    public ulong Cookie => CookieFlags << 16 | ((ulong)Allocator << 8) | (byte)Op;

    /// <summary>One line for the verbose listing: binary, function, address, programs and RET sites.</summary>
    public string Describe()
    {
        string at = Address is { } a ? $"0x{a:x} (file offset 0x{FileOffset:x})" : $"file offset 0x{FileOffset:x}";
        string rets = ReturnAddresses is { } r
            ? ReturnsStoodFor is { } ret
                ? $", exit site {string.Join(" ", r.Select(x => $"0x{x:x}"))} for the RET at 0x{ret:x}"
                : $", {r.Count} RET site{(r.Count == 1 ? "" : "s")} {string.Join(" ", r.Select(x => $"0x{x:x}"))}"
            : ReturnOffsets is { } o ? $", {o.Count} RET sites" : "";
        string programs = string.Join("+", new[] { EntryProgram, ExitProgram }.Where(p => p is not null));
        return $"{Path}: {Symbol} at {at}, {programs}{rets}{(Note is null ? "" : $" ({Note})")}";
    }
}
