using System.Text;

namespace Tracer.Elf;

/// <summary>NUL-terminated strings out of ELF string tables.</summary>
internal static class ElfStrings
{
    public static string Read(ReadOnlySpan<byte> table, ulong offset, string tableName)
    {
        if (offset >= (ulong)table.Length)
            throw new ElfFormatException($"string offset 0x{offset:x} is outside {tableName} (size 0x{table.Length:x})");
        var rest = table[(int)offset..];
        int end = rest.IndexOf((byte)0);
        if (end < 0)
            throw new ElfFormatException($"string at 0x{offset:x} in {tableName} is not NUL-terminated");
        return Encoding.UTF8.GetString(rest[..end]);
    }
}
