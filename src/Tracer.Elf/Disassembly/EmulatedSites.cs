using Iced.Intel;

namespace Tracer.Elf.Disassembly;

/// <summary>An instruction a uprobe can sit on and be emulated in its trap, in place of a function's entry or its RET.</summary>
/// <param name="Address">Virtual address of the instruction.</param>
/// <param name="FileOffset">File offset of the instruction (what the uprobe is attached at).</param>
/// <param name="Instruction">The instruction as the disassembler writes it.</param>
/// <param name="SpToReturn">
/// What the stack pointer at the site is below the one at the RET it stands for (the epilogue's frame), in bytes; 0
/// for an entry site.
/// </param>
/// <param name="StandsFor">The address of the entry or of the RET the site stands for.</param>
public sealed record EmulatedSite(ulong Address, ulong FileOffset, string Instruction, int SpToReturn, ulong StandsFor);

/// <summary>
/// Where a probe costs one trap instead of two. The kernel emulates a push of a register and the relative branches
/// in a uprobe's trap (<see cref="EntryInstruction"/>); any other instruction is single-stepped out of line, a second
/// trap, which on a virtual machine costs tens of microseconds. A Go function begins with its stack check (a compare,
/// single-stepped) and ends with RET (single-stepped), but the check's conditional branch follows at once, and a
/// branch or call comes shortly before the epilogue: probed there, the function runs the same instructions and the
/// probe is emulated. A site is given only where it is passed exactly once on every path (the entry's, or the one
/// RET's), as the decoded code shows.
/// </summary>
public static class EmulatedSites
{
    // Go's ABIInternal argument registers, its frame pointer, closure context, g and the stack pointer: an
    // instruction before an entry site may write none of them.
    private static readonly Register[] s_kept =
    [
        Register.RAX, Register.RBX, Register.RCX, Register.RDI, Register.RSI, Register.R8, Register.R9, Register.R10,
        Register.R11, Register.RDX, Register.RBP, Register.R14, Register.R15, Register.RSP,
    ];

    /// <summary>
    /// The first emulated instruction of the function's prologue when the ones before it only compare, or load an
    /// address into a scratch register (Go's stack check, <c>CMPQ SP, 16(R14)</c> or <c>LEAQ -n(SP), R12; CMPQ R12,
    /// 16(R14)</c>): registers and stack are then as at the entry. Null, with <paramref name="reason"/>, otherwise.
    /// </summary>
    public static EmulatedSite? Entry(ElfFile elf, FunctionLocation function, out string? reason)
    {
        var code = Decode(elf, function, out reason);
        if (code is null)
            return null;
        var targets = BranchTargets(code);
        ulong fileStart = elf.VirtualAddressToFileOffset(function.Start);
        for (int i = 0; i < Math.Min(code.Count, 4); i++)
        {
            var insn = code[i];
            // Reached from elsewhere in the function, it would not be passed once per call.
            if (i > 0 && targets.Contains(insn.IP))
                break;
            if (EntryInstruction.IsEmulated(insn))
            {
                reason = null;
                return new EmulatedSite(insn.IP, fileStart + (insn.IP - function.Start), insn.ToString(), 0, function.Start);
            }
            if (!OnlyCompares(insn))
                break;
        }
        reason = $"{function.Name}'s prologue has no emulated instruction before one that changes its registers or stack";
        return null;
    }

    /// <summary>
    /// For a function with one RET: the last emulated instruction every path to it passes, once per call (in no
    /// loop), after which the stack pointer changes only in the RET's own epilogue. Null, with
    /// <paramref name="reason"/>, when there is none.
    /// </summary>
    public static EmulatedSite? BeforeReturn(ElfFile elf, FunctionLocation function, out string? reason)
    {
        var code = Decode(elf, function, out reason);
        if (code is null)
            return null;
        var rets = code.Where(i => i.Mnemonic == Mnemonic.Ret).ToList();
        if (rets.Count != 1)
        {
            reason = $"{function.Name} has {rets.Count} RET instructions";
            return null;
        }
        if (code.Any(i => i.FlowControl == FlowControl.IndirectBranch))
        {
            reason = $"{function.Name} has an indirect jump: its paths cannot be followed";
            return null;
        }
        var graph = new FlowGraph(code);
        int retIndex = code.IndexOf(rets[0]);
        int retBlock = graph.BlockOf(retIndex);
        var dominators = graph.Dominators();
        // From the RET back to the entry along the blocks that dominate it, the latest instruction first.
        for (int block = retBlock; block >= 0; block = dominators[block])
        {
            var (first, last) = graph.Blocks[block];
            int end = block == retBlock ? retIndex - 1 : last;
            for (int i = end; i >= first; i--)
            {
                if (!EntryInstruction.IsEmulated(code[i]))
                    continue;
                if (graph.InCycle(block))
                    break;
                if (SpToReturn(code, graph, i, retIndex, retBlock, out int sp, out reason) is false)
                    return null;
                ulong fileStart = elf.VirtualAddressToFileOffset(function.Start);
                return new EmulatedSite(code[i].IP, fileStart + (code[i].IP - function.Start), code[i].ToString(), sp, rets[0].IP);
            }
            if (dominators[block] == block)
                break;
        }
        reason = $"no emulated instruction of {function.Name} lies on every path to its RET, once per call";
        return null;
    }

    /// <summary>
    /// Whether the stack pointer at instruction <paramref name="site"/> is the RET's less a known frame: every
    /// instruction that changes it between the two must be in the RET's block, and each a known adjustment.
    /// </summary>
    private static bool SpToReturn(List<Instruction> code, FlowGraph graph, int site, int retIndex, int retBlock, out int sp, out string? reason)
    {
        sp = 0;
        reason = null;
        int siteBlock = graph.BlockOf(site);
        foreach (int block in graph.Between(siteBlock, retBlock))
        {
            var (first, last) = graph.Blocks[block];
            int from = block == siteBlock ? site + 1 : first, to = block == retBlock ? retIndex - 1 : last;
            for (int i = from; i <= to; i++)
            {
                var insn = code[i];
                if (insn.IsCallNear || !WritesSp(insn))
                    continue;
                if (block != retBlock || !TryAdjustment(insn, out int delta))
                {
                    reason = $"the stack pointer changes at 0x{insn.IP:x} ({insn}) on the way to the RET";
                    return false;
                }
                sp += delta;
            }
        }
        return true;
    }

    private static bool TryAdjustment(in Instruction insn, out int delta)
    {
        delta = 0;
        switch (insn.Mnemonic)
        {
            case Mnemonic.Add when insn.Op0Register == Register.RSP && insn.Op1Kind is OpKind.Immediate8to64 or OpKind.Immediate32to64:
                delta = (int)insn.GetImmediate(1);
                return true;
            case Mnemonic.Pop when insn.Op0Kind == OpKind.Register:
                delta = 8;
                return true;
            default:
                return false;
        }
    }

    private static bool WritesSp(in Instruction insn)
    {
        if (insn.Mnemonic is Mnemonic.Push or Mnemonic.Pop)
            return true;
        var info = new InstructionInfoFactory().GetInfo(insn);
        foreach (var r in info.GetUsedRegisters())
            if (r.Register is Register.RSP or Register.ESP && r.Access is OpAccess.Write or OpAccess.ReadWrite or OpAccess.CondWrite or OpAccess.ReadCondWrite)
                return true;
        return false;
    }

    /// <summary>Writes nothing but the flags, or an address into a register no Go code keeps across a prologue.</summary>
    private static bool OnlyCompares(in Instruction insn)
    {
        if (insn.Mnemonic is Mnemonic.Cmp or Mnemonic.Test)
            return true;
        if (insn.Mnemonic == Mnemonic.Lea && insn.Op0Kind == OpKind.Register)
            return !s_kept.Contains(insn.Op0Register.GetFullRegister());
        return false;
    }

    private static HashSet<ulong> BranchTargets(List<Instruction> code)
    {
        var targets = new HashSet<ulong>();
        foreach (var insn in code)
            if (insn.IsJmpShortOrNear || insn.IsJccShortOrNear)
                targets.Add(insn.NearBranchTarget);
        return targets;
    }

    private static List<Instruction>? Decode(ElfFile elf, FunctionLocation function, out string? reason)
    {
        if (function.End <= function.Start || function.End - function.Start > int.MaxValue)
        {
            reason = $"{function.Name} has no decodable range";
            return null;
        }
        var bytes = elf.ReadBytes(function.Start, (int)(function.End - function.Start));
        var decoder = Decoder.Create(64, new MemoryCodeReader(bytes), function.Start, DecoderOptions.None);
        var code = new List<Instruction>();
        while (decoder.IP < function.End)
        {
            decoder.Decode(out var insn);
            if (insn.IsInvalid || insn.NextIP > function.End)
            {
                reason = $"{function.Name} does not decode at 0x{insn.IP:x}";
                return null;
            }
            code.Add(insn);
        }
        reason = null;
        return code;
    }

    /// <summary>The basic blocks of a decoded function and their edges (calls return; a jump out of the function ends its path).</summary>
    private sealed class FlowGraph
    {
        private readonly int[] _blockOf;
        private readonly List<int>[] _successors, _predecessors;

        public List<(int First, int Last)> Blocks { get; } = new();

        public FlowGraph(List<Instruction> code)
        {
            var index = new Dictionary<ulong, int>();
            for (int i = 0; i < code.Count; i++)
                index[code[i].IP] = i;
            var leaders = new SortedSet<int> { 0 };
            for (int i = 0; i < code.Count; i++)
            {
                var insn = code[i];
                if ((insn.IsJmpShortOrNear || insn.IsJccShortOrNear) && index.TryGetValue(insn.NearBranchTarget, out int t))
                    leaders.Add(t);
                if (EndsBlock(insn) && i + 1 < code.Count)
                    leaders.Add(i + 1);
            }
            _blockOf = new int[code.Count];
            var starts = leaders.ToList();
            for (int b = 0; b < starts.Count; b++)
            {
                int last = b + 1 < starts.Count ? starts[b + 1] - 1 : code.Count - 1;
                Blocks.Add((starts[b], last));
                for (int i = starts[b]; i <= last; i++)
                    _blockOf[i] = b;
            }
            _successors = Blocks.Select(_ => new List<int>()).ToArray();
            _predecessors = Blocks.Select(_ => new List<int>()).ToArray();
            for (int b = 0; b < Blocks.Count; b++)
            {
                var insn = code[Blocks[b].Last];
                bool falls = insn.Mnemonic != Mnemonic.Ret && !insn.IsJmpShortOrNear && insn.Mnemonic is not (Mnemonic.Int3 or Mnemonic.Ud2);
                if ((insn.IsJmpShortOrNear || insn.IsJccShortOrNear) && index.TryGetValue(insn.NearBranchTarget, out int t))
                    Edge(b, _blockOf[t]);
                if (falls && b + 1 < Blocks.Count)
                    Edge(b, b + 1);
            }
        }

        private static bool EndsBlock(in Instruction insn) =>
            insn.IsJmpShortOrNear || insn.IsJccShortOrNear || insn.Mnemonic is Mnemonic.Ret or Mnemonic.Int3 or Mnemonic.Ud2;

        private void Edge(int from, int to)
        {
            _successors[from].Add(to);
            _predecessors[to].Add(from);
        }

        public int BlockOf(int instruction) => _blockOf[instruction];

        /// <summary>Each block's immediate dominator (the entry block's is itself; -1 for a block the entry does not reach).</summary>
        public int[] Dominators()
        {
            int n = Blocks.Count;
            var order = new List<int>();
            var seen = new bool[n];
            void Visit(int b)
            {
                seen[b] = true;
                foreach (int s in _successors[b])
                    if (!seen[s])
                        Visit(s);
                order.Add(b);
            }
            Visit(0);
            order.Reverse();
            var rank = new int[n];
            for (int i = 0; i < order.Count; i++)
                rank[order[i]] = i;
            var idom = Enumerable.Repeat(-1, n).ToArray();
            idom[0] = 0;
            for (bool changed = true; changed;)
            {
                changed = false;
                foreach (int b in order.Skip(1))
                {
                    int best = -1;
                    foreach (int p in _predecessors[b])
                    {
                        if (idom[p] < 0)
                            continue;
                        best = best < 0 ? p : Intersect(p, best);
                    }
                    if (best != idom[b])
                    {
                        idom[b] = best;
                        changed = true;
                    }
                }
            }
            return idom;

            int Intersect(int a, int b)
            {
                while (a != b)
                {
                    while (rank[a] > rank[b])
                        a = idom[a];
                    while (rank[b] > rank[a])
                        b = idom[b];
                }
                return a;
            }
        }

        /// <summary>Whether a path leads from the block back to itself.</summary>
        public bool InCycle(int block) => Reachable(_successors[block], _successors).Contains(block);

        /// <summary>The blocks on some path from <paramref name="from"/> to <paramref name="to"/>, both included.</summary>
        public HashSet<int> Between(int from, int to)
        {
            var forward = Reachable([from], _successors);
            var backward = Reachable([to], _predecessors);
            forward.IntersectWith(backward);
            return forward;
        }

        private static HashSet<int> Reachable(IEnumerable<int> start, List<int>[] edges)
        {
            var seen = new HashSet<int>();
            var stack = new Stack<int>(start);
            foreach (int s in stack)
                seen.Add(s);
            while (stack.Count > 0)
                foreach (int next in edges[stack.Pop()])
                    if (seen.Add(next))
                        stack.Push(next);
            return seen;
        }
    }
}
