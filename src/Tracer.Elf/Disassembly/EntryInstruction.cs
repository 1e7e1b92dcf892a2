using Iced.Intel;

namespace Tracer.Elf.Disassembly;

/// <summary>
/// How the kernel runs the instruction a uprobe replaces on x86-64. It emulates a push of a register and the
/// relative branches (jmp, call, jcc) in the trap itself; any other instruction is copied out of line and
/// single-stepped, which takes a second trap (a debug exception) before the function goes on. That second trap
/// lies between the entry program and the return program, so it is part of every latency recorded on such a
/// function, and far larger than the emulated case on a virtual machine.
/// </summary>
public static class EntryInstruction
{
    /// <summary>Bytes enough for any x86-64 instruction.</summary>
    public const int MaxLength = 15;

    /// <summary>
    /// Whether the first instruction of <paramref name="code"/> (a function's first bytes) is single-stepped by a
    /// uprobe rather than emulated. Undecodable bytes count as single-stepped.
    /// </summary>
    public static bool IsSingleStepped(ReadOnlySpan<byte> code)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code.ToArray()), 0, DecoderOptions.None);
        decoder.Decode(out var insn);
        return insn.IsInvalid || !IsEmulated(insn);
    }

    /// <summary>Whether a uprobe on <paramref name="insn"/> is emulated in its trap: a push of a register, a relative branch.</summary>
    public static bool IsEmulated(in Instruction insn) =>
        insn.Mnemonic == Mnemonic.Push ? insn.Op0Kind == OpKind.Register : insn.IsCallNear || insn.IsJmpShortOrNear || insn.IsJccShortOrNear;
}
