using System.Buffers.Binary;

namespace Tracer.Elf;

/// <summary>Walks ELF note records to find the GNU build-id.</summary>
internal static class ElfNotes
{
    private const uint NoteGnuBuildId = 3;

    public static string? FindBuildId(ElfFile elf)
    {
        foreach (var seg in elf.ProgramHeaders.Where(p => p.Type == ElfSegmentType.Note))
        {
            var data = elf.ReadAt(seg.Offset, ElfFile.CheckedLength(seg.FileSize, "PT_NOTE"), "PT_NOTE segment");
            var id = FindBuildId(data.Span, seg.Alignment == 8 ? 8 : 4, elf.Name);
            if (id is not null)
                return id;
        }
        // Separate debug files and relocatable objects carry the note only as a section.
        foreach (var section in elf.Sections.Where(s => s.Type == ElfSectionType.Note))
        {
            var id = FindBuildId(elf.ReadSectionData(section).Span, section.Alignment == 8 ? 8 : 4, elf.Name);
            if (id is not null)
                return id;
        }
        return null;
    }

    /// <summary>
    /// Notes are (namesz, descsz, type, name, desc) with desc and the next note starting at offsets
    /// rounded up to the area's alignment: 4 for classic GNU notes, 8 for .note.gnu.property.
    /// </summary>
    private static string? FindBuildId(ReadOnlySpan<byte> notes, int align, string file)
    {
        int pos = 0;
        while (notes.Length - pos >= 12)
        {
            uint nameSize = BinaryPrimitives.ReadUInt32LittleEndian(notes[pos..]);
            uint descSize = BinaryPrimitives.ReadUInt32LittleEndian(notes[(pos + 4)..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(notes[(pos + 8)..]);
            long nameStart = pos + 12L;
            long descStart = Align(nameStart + nameSize, align);
            long next = Align(descStart + descSize, align);
            if (nameStart + nameSize > notes.Length || descStart + descSize > notes.Length)
                throw new ElfFormatException($"{file}: note at offset 0x{pos:x} runs past the end of its note area");
            var name = notes.Slice((int)nameStart, (int)nameSize);
            if (type == NoteGnuBuildId && name.SequenceEqual("GNU\0"u8))
                return Convert.ToHexStringLower(notes.Slice((int)descStart, (int)descSize));
            pos = (int)Math.Min(next, notes.Length);
        }
        return null;
    }

    private static long Align(long offset, int align) => (offset + align - 1) & ~((long)align - 1);
}
