using System.Buffers.Binary;
using System.Text;

namespace Tracer.Elf.Go;

/// <summary>
/// The runtime's own copy of the toolchain version (<c>runtime.buildVersion</c>, what <c>runtime.Version()</c>
/// returns): a Go string in the data segment that the linker fills in. It is there when the build info blob is not
/// (zeroed, or cut out by a packer), found by its symbol or, in a stripped binary, as the one string header in a
/// writable segment that points at a read-only <c>go1.N</c> string of exactly its length.
/// </summary>
public static class GoBuildVersion
{
    private const int MinLength = 6;
    private const int MaxLength = 64;
    private const int ScanChunk = 1 << 20;

    /// <summary>The version (e.g. <c>go1.26.10</c>) and where it was read, or null with what was looked for.</summary>
    public static string? TryRead(ElfFile elf, out string where)
    {
        var symbol = elf.Symbols.Lookup("runtime.buildVersion").FirstOrDefault(s => s.IsDefined);
        if (symbol is not null && TryStringAt(elf, symbol.Value, out string? fromSymbol))
        {
            where = "symbol runtime.buildVersion";
            return fromSymbol;
        }

        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var segment in elf.LoadSegments.Where(s => (s.Flags & ElfSegmentFlags.Write) != 0))
        {
            for (ulong start = 0; start < segment.FileSize; start += ScanChunk)
            {
                int length = (int)Math.Min(segment.FileSize - start, ScanChunk + 16);
                var chunk = elf.ReadAt(segment.Offset + start, length, "PT_LOAD segment").Span;
                ulong first = (8 - ((segment.VirtualAddress + start) & 7)) & 7;
                for (int pos = (int)first; pos + 16 <= chunk.Length && pos < ScanChunk; pos += 8)
                {
                    ulong len = BinaryPrimitives.ReadUInt64LittleEndian(chunk[(pos + 8)..]);
                    if (len is < MinLength or > MaxLength)
                        continue;
                    ulong ptr = BinaryPrimitives.ReadUInt64LittleEndian(chunk[pos..]);
                    if (IsVersionString(elf, ptr, (int)len, out string? version))
                        found.Add(version!);
                }
            }
        }
        if (found.Count == 1)
        {
            where = "runtime.buildVersion";
            return found.Min;
        }
        where = found.Count == 0
            ? "no runtime.buildVersion symbol and no string header pointing at a go1.N string in any writable segment"
            : $"no runtime.buildVersion symbol, and the string headers in writable segments name {found.Count} versions ({string.Join(", ", found)})";
        return null;
    }

    private static bool TryStringAt(ElfFile elf, ulong address, out string? value)
    {
        value = null;
        try
        {
            var header = elf.ReadBytes(address, 16).Span;
            ulong ptr = BinaryPrimitives.ReadUInt64LittleEndian(header);
            ulong len = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
            return len is >= MinLength and <= MaxLength && IsVersionString(elf, ptr, (int)len, out value);
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary><c>go1.</c>, a minor number, then printable ASCII (a patch number, an experiment suffix).</summary>
    private static bool IsVersionString(ElfFile elf, ulong ptr, int length, out string? version)
    {
        version = null;
        var segment = elf.LoadSegments.FirstOrDefault(s => s.ContainsFileBackedAddress(ptr));
        if (segment is null || (segment.Flags & ElfSegmentFlags.Write) != 0 || ptr - segment.VirtualAddress + (ulong)length > segment.FileSize)
            return false;
        var bytes = elf.ReadBytes(ptr, length).Span;
        if (!bytes.StartsWith("go1."u8) || bytes.Length < 5 || !char.IsAsciiDigit((char)bytes[4]))
            return false;
        foreach (byte b in bytes)
        {
            if (b is < 0x20 or > 0x7e)
                return false;
        }
        version = Encoding.ASCII.GetString(bytes);
        return true;
    }
}
