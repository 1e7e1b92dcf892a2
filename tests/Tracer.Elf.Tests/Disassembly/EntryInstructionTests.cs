using Tracer.Elf.Disassembly;

namespace Tracer.Elf.Tests.Disassembly;

/// <summary>Which first instructions a uprobe emulates (push of a register, relative branches) and which it single-steps.</summary>
public class EntryInstructionTests
{
    [Theory]
    [InlineData(new byte[] { 0x41, 0x54, 0x55 }, false)]             // push %r12 (glibc's malloc)
    [InlineData(new byte[] { 0x55, 0x48, 0x89, 0xe5 }, false)]       // push %rbp
    [InlineData(new byte[] { 0xe9, 0x00, 0x00, 0x00, 0x00 }, false)] // jmp rel32 (a thunk)
    [InlineData(new byte[] { 0xeb, 0x10 }, false)]                   // jmp rel8
    [InlineData(new byte[] { 0xe8, 0x00, 0x00, 0x00, 0x00 }, false)] // call rel32
    [InlineData(new byte[] { 0x74, 0x05 }, false)]                   // je rel8
    [InlineData(new byte[] { 0x48, 0x85, 0xff, 0x74, 0x05 }, true)]  // test %rdi,%rdi (glibc's free)
    [InlineData(new byte[] { 0x48, 0x89, 0xf8, 0xc3 }, true)]        // mov %rdi,%rax
    [InlineData(new byte[] { 0x48, 0x8d, 0x05, 0x49, 0xbb, 0x18, 0x00 }, true)] // lea rip-relative
    [InlineData(new byte[] { 0xff, 0x35, 0x00, 0x00, 0x00, 0x00 }, true)]       // push of memory, not a register
    [InlineData(new byte[] { 0xf3, 0x0f, 0x1e, 0xfa }, true)]        // endbr64
    [InlineData(new byte[] { 0x0f, 0x0b }, true)]                    // ud2
    [InlineData(new byte[] { 0x0f }, true)]                          // cut short: not decodable
    public void FirstInstructionKind(byte[] code, bool singleStepped) =>
        Assert.Equal(singleStepped, EntryInstruction.IsSingleStepped(code));
}
