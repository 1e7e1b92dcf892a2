using System.Buffers.Binary;
using System.Text;

namespace Tracer.Elf.Tests;

/// <summary>
/// Writes minimal x86-64 ELF images for layouts no local toolchain produces (Go before 1.18):
/// PT_LOAD segments at page-aligned file offsets and, optionally, section headers naming ranges
/// inside them.
/// </summary>
public static class TinyElf
{
    public sealed record Segment(ulong Vaddr, ElfSegmentFlags Flags, byte[] Data);

    public sealed record Section(string Name, ulong Vaddr, ulong Size);

    private const int Page = 0x1000;

    public static byte[] Build(IReadOnlyList<Segment> segments, IReadOnlyList<Section>? sections = null)
    {
        sections ??= [];
        var offsets = new List<long>();
        long position = Page;
        foreach (var s in segments)
        {
            offsets.Add(position);
            position += (s.Data.Length + Page - 1) / Page * Page + Page;
        }

        var names = new MemoryStream();
        names.WriteByte(0);
        var nameOffsets = new List<int>();
        foreach (var name in sections.Select(s => s.Name).Append(".shstrtab"))
        {
            nameOffsets.Add((int)names.Length);
            names.Write(Encoding.ASCII.GetBytes(name + "\0"));
        }
        long namesOffset = position;
        long sectionTable = (namesOffset + names.Length + 7) / 8 * 8;
        int sectionCount = sections.Count == 0 ? 0 : sections.Count + 2;
        var image = new byte[sectionTable + sectionCount * 64];

        var h = image.AsSpan();
        "\u007fELF"u8.CopyTo(h);
        h[4] = 2;
        h[5] = 1;
        h[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(h[16..], (ushort)ElfType.Executable);
        BinaryPrimitives.WriteUInt16LittleEndian(h[18..], 62);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], 64);
        BinaryPrimitives.WriteUInt64LittleEndian(h[40..], sectionCount == 0 ? 0UL : (ulong)sectionTable);
        BinaryPrimitives.WriteUInt16LittleEndian(h[52..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(h[54..], 56);
        BinaryPrimitives.WriteUInt16LittleEndian(h[56..], (ushort)segments.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(h[58..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(h[60..], (ushort)sectionCount);
        BinaryPrimitives.WriteUInt16LittleEndian(h[62..], (ushort)(sectionCount == 0 ? 0 : sectionCount - 1));

        for (int i = 0; i < segments.Count; i++)
        {
            var p = h.Slice(64 + i * 56, 56);
            BinaryPrimitives.WriteUInt32LittleEndian(p, (uint)ElfSegmentType.Load);
            BinaryPrimitives.WriteUInt32LittleEndian(p[4..], (uint)segments[i].Flags);
            BinaryPrimitives.WriteUInt64LittleEndian(p[8..], (ulong)offsets[i]);
            BinaryPrimitives.WriteUInt64LittleEndian(p[16..], segments[i].Vaddr);
            BinaryPrimitives.WriteUInt64LittleEndian(p[24..], segments[i].Vaddr);
            BinaryPrimitives.WriteUInt64LittleEndian(p[32..], (ulong)segments[i].Data.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(p[40..], (ulong)segments[i].Data.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(p[48..], Page);
            segments[i].Data.CopyTo(image, offsets[i]);
        }

        names.ToArray().CopyTo(image, namesOffset);
        for (int i = 0; i < sections.Count; i++)
        {
            var s = sections[i];
            int seg = segments.ToList().FindIndex(g => s.Vaddr >= g.Vaddr && s.Vaddr < g.Vaddr + (ulong)g.Data.Length);
            WriteSection(h, sectionTable, i + 1, nameOffsets[i], 1, s.Vaddr, (ulong)offsets[seg] + (s.Vaddr - segments[seg].Vaddr), s.Size);
        }
        if (sectionCount > 0)
            WriteSection(h, sectionTable, sectionCount - 1, nameOffsets[^1], 3, 0, (ulong)namesOffset, (ulong)names.Length);
        return image;
    }

    private static void WriteSection(Span<byte> image, long table, int index, int name, uint type, ulong addr, ulong offset, ulong size)
    {
        var e = image.Slice((int)table + index * 64, 64);
        BinaryPrimitives.WriteUInt32LittleEndian(e, (uint)name);
        BinaryPrimitives.WriteUInt32LittleEndian(e[4..], type);
        BinaryPrimitives.WriteUInt64LittleEndian(e[16..], addr);
        BinaryPrimitives.WriteUInt64LittleEndian(e[24..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(e[32..], size);
    }
}
