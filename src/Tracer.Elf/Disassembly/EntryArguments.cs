using Iced.Intel;

namespace Tracer.Elf.Disassembly;

/// <summary>
/// Which registers a function reads at its entry before writing them: the arguments it takes in registers, as its
/// own code shows them. A probe that reads an argument from a register at a function's first instruction can check
/// here that this build of the function really takes something there.
/// </summary>
public static class EntryArguments
{
    /// <summary>How far the entry is followed: a Go prologue and its first spills fit well within this.</summary>
    private const int MaxInstructions = 64;

    /// <summary>
    /// Decodes <paramref name="function"/> from its entry along the fall-through path (over conditional branches,
    /// which in a Go prologue lead to the stack-growth call) up to its first call, return or unconditional jump, and
    /// returns the general-purpose registers (lower-case 64-bit names, e.g. <c>rcx</c>) read, whole or in part,
    /// before anything writes them. Every register is clobbered by a call under Go's ABI, so the walk stops there.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The function's range is empty or not file-backed.</exception>
    public static IReadOnlySet<string> ReadBeforeWritten(ElfFile elf, FunctionLocation function)
    {
        if (function.End <= function.Start)
            throw new ArgumentOutOfRangeException(nameof(function), $"empty or reversed function range [0x{function.Start:x}, 0x{function.End:x})");
        var code = elf.ReadBytes(function.Start, (int)Math.Min(function.End - function.Start, 4096));
        ulong end = function.Start + (ulong)code.Length;
        var decoder = Decoder.Create(64, new MemoryCodeReader(code), function.Start, DecoderOptions.None);
        var info = new InstructionInfoFactory();
        var read = new HashSet<string>(StringComparer.Ordinal);
        var written = new HashSet<Register>();
        for (int i = 0; i < MaxInstructions && decoder.IP < end; i++)
        {
            decoder.Decode(out var instruction);
            if (instruction.IsInvalid || instruction.NextIP > end)
                break;
            var used = info.GetInfo(instruction).GetUsedRegisters();
            // Reads first: `ADD RCX, 1` reads RCX before it writes it.
            foreach (var r in used)
            {
                var full = r.Register.GetFullRegister();
                if (IsReadAccess(r.Access) && full.IsGPR64() && !written.Contains(full) && !IsZeroingIdiom(instruction))
                    read.Add(full.ToString().ToLowerInvariant());
            }
            foreach (var r in used)
                if (r.Access is OpAccess.Write or OpAccess.ReadWrite or OpAccess.CondWrite or OpAccess.ReadCondWrite)
                    written.Add(r.Register.GetFullRegister());
            if (instruction.FlowControl is not (FlowControl.Next or FlowControl.ConditionalBranch))
                break;
        }
        return read;
    }

    /// <summary>
    /// Where <paramref name="function"/> keeps the argument it takes in <paramref name="register"/> (lower-case 64-bit
    /// name) for the rest of its body: the frame slot its entry stores it to before anything writes the register, when
    /// no later instruction up to its last return writes that slot or takes the address of a stack object over it.
    /// The slot is given relative to the stack pointer at a return instruction (the entry's, once the frame is
    /// popped), so a probe there can still read the argument. Null, with <paramref name="reason"/>, otherwise.
    /// </summary>
    public static StackSlot? KeptUntilReturn(ElfFile elf, FunctionLocation function, ReturnSiteScan scan, string register, out string? reason)
    {
        var target = Enum.Parse<Register>(register, ignoreCase: true);
        if (scan.Sites.Count == 0)
        {
            reason = $"{function.Name} has no return";
            return null;
        }
        ulong lastReturn = scan.Sites[^1].Address;
        var code = elf.ReadBytes(function.Start, checked((int)(lastReturn + 1 - function.Start)));
        var decoder = Decoder.Create(64, new MemoryCodeReader(code), function.Start, DecoderOptions.None);
        var info = new InstructionInfoFactory();
        var instructions = new List<Instruction>();
        while (decoder.IP <= lastReturn)
        {
            decoder.Decode(out var instruction);
            if (instruction.IsInvalid)
            {
                reason = $"{function.Name} does not decode at 0x{instruction.IP:x}";
                return null;
            }
            instructions.Add(instruction);
        }

        // The prologue, along the fall-through path: pushes and the frame's SUB, then the argument's store.
        int frame = 0, spill = -1, slot = 0, size = 0;
        var written = new HashSet<Register>();
        for (int i = 0; i < instructions.Count && i < MaxInstructions; i++)
        {
            var instruction = instructions[i];
            if (instruction.Mnemonic == Mnemonic.Push)
                frame += 8;
            else if (instruction.Mnemonic == Mnemonic.Sub && instruction.Op0Kind == OpKind.Register && instruction.Op0Register == Register.RSP &&
                     instruction.Op1Kind is OpKind.Immediate8to64 or OpKind.Immediate32to64)
                frame += (int)instruction.GetImmediate(1);
            else if (instruction.Mnemonic == Mnemonic.Mov && instruction.Op0Kind == OpKind.Memory && instruction.MemoryBase == Register.RSP &&
                     instruction.MemoryIndex == Register.None && instruction.Op1Kind == OpKind.Register &&
                     instruction.Op1Register.GetFullRegister() == target && !written.Contains(target))
            {
                spill = i;
                slot = (int)(long)instruction.MemoryDisplacement64;
                size = instruction.MemorySize.GetSize();
                break;
            }
            foreach (var r in info.GetInfo(instruction).GetUsedRegisters())
                if (r.Access is OpAccess.Write or OpAccess.ReadWrite or OpAccess.CondWrite or OpAccess.ReadCondWrite)
                    written.Add(r.Register.GetFullRegister());
            if (instruction.FlowControl is not (FlowControl.Next or FlowControl.ConditionalBranch))
                break;
        }
        if (spill < 0)
        {
            reason = $"{function.Name}'s entry stores {register} to no frame slot before it is overwritten or a call";
            return null;
        }

        // Displacements the body reads or writes directly: each bounds a stack object whose address is taken below it.
        var direct = new SortedSet<long>();
        foreach (var instruction in instructions.Skip(spill + 1))
            if (instruction.Mnemonic != Mnemonic.Lea && StackOperand(instruction) is { } d)
                direct.Add(d);
        foreach (var instruction in instructions.Skip(spill + 1))
        {
            if (StackOperand(instruction) is not { } at)
                continue;
            long end;
            if (instruction.Mnemonic == Mnemonic.Lea)
                end = direct.GetViewBetween(at + 1, long.MaxValue).FirstOrDefault(long.MaxValue);
            else if (WritesMemory(info, instruction))
                end = at + instruction.MemorySize.GetSize();
            else
                continue;
            if (at < slot + size && slot < end)
            {
                reason = $"{function.Name}'s frame slot of {register} (RSP+0x{slot:x}) is " +
                    $"{(instruction.Mnemonic == Mnemonic.Lea ? "under a stack object whose address is taken" : "written again")} at 0x{instruction.IP:x}";
                return null;
            }
        }
        reason = null;
        return new StackSlot(slot - frame, size);
    }

    /// <summary>The displacement of an instruction's stack operand ([RSP+d], no index), if it has one.</summary>
    private static long? StackOperand(in Instruction instruction)
    {
        for (int i = 0; i < instruction.OpCount; i++)
            if (instruction.GetOpKind(i) == OpKind.Memory && instruction.MemoryBase == Register.RSP && instruction.MemoryIndex == Register.None)
                return (long)instruction.MemoryDisplacement64;
        return null;
    }

    private static bool WritesMemory(InstructionInfoFactory info, in Instruction instruction) =>
        info.GetInfo(instruction).GetUsedMemory().ToArray().Any(m => m.Base == Register.RSP &&
            m.Access is OpAccess.Write or OpAccess.ReadWrite or OpAccess.CondWrite or OpAccess.ReadCondWrite);

    private static bool IsReadAccess(OpAccess access) =>
        access is OpAccess.Read or OpAccess.ReadWrite or OpAccess.CondRead or OpAccess.ReadCondWrite;

    /// <summary><c>XOR reg, reg</c> and <c>SUB reg, reg</c> write zero whatever the register held.</summary>
    private static bool IsZeroingIdiom(in Instruction instruction) =>
        instruction.Mnemonic is Mnemonic.Xor or Mnemonic.Sub && instruction.OpCount == 2 &&
        instruction.Op0Kind == OpKind.Register && instruction.Op1Kind == OpKind.Register && instruction.Op0Register == instruction.Op1Register;
}

/// <summary>A frame slot, relative to the stack pointer at a return instruction (negative: below it).</summary>
/// <param name="FromReturnSp">Offset of the slot from RSP at the function's returns.</param>
/// <param name="Size">Bytes the argument's store writes there.</param>
public sealed record StackSlot(int FromReturnSp, int Size);
