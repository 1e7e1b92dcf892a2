using Iced.Intel;

namespace Tracer.Elf.Disassembly;

/// <summary>Feeds Iced's decoder from a memory slice without copying it to an array.</summary>
internal sealed class MemoryCodeReader(ReadOnlyMemory<byte> code) : CodeReader
{
    private int _position;

    public override int ReadByte() => _position < code.Length ? code.Span[_position++] : -1;
}
