using System.Globalization;
using System.Text.RegularExpressions;

namespace Tracer.Elf.Tests;

/// <summary>Parsers for binutils/glibc tool output used as the reference in tests.</summary>
public static partial class ToolOutput
{
    public sealed record ReadelfSymbol(string Table, ulong Value, ulong Size, string Type, string Bind, string Ndx, string Name, string? Version, bool DefaultVersion);

    public sealed record ReadelfSegment(string Type, ulong Offset, ulong VirtAddr, ulong PhysAddr, ulong FileSize, ulong MemSize, string Flags, ulong Align);

    public sealed record ReadelfSection(int Index, string Name, string Type, ulong Address, ulong Offset, ulong Size);

    public static ulong Hex(string s) => ulong.Parse(s.StartsWith("0x") ? s[2..] : s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>readelf prints sizes in decimal, switching to 0x-hex for large values.</summary>
    private static ulong Size(string s) => s.StartsWith("0x") ? Hex(s) : ulong.Parse(s, CultureInfo.InvariantCulture);

    public static List<ReadelfSymbol> ReadelfSymbols(string path)
    {
        var result = new List<ReadelfSymbol>();
        string table = "";
        foreach (var line in ProcessRunner.Output("readelf", "-sW", path).Split('\n'))
        {
            var header = SymbolTableHeader().Match(line);
            if (header.Success)
            {
                table = header.Groups[1].Value;
                continue;
            }
            var m = SymbolLine().Match(line);
            if (!m.Success || m.Groups[7].Value.Length == 0)
                continue;
            string name = m.Groups[7].Value;
            name = VersionIndexSuffix().Replace(name, "");
            string? version = null;
            bool isDefault = true;
            int at = name.IndexOf('@');
            if (at > 0)
            {
                isDefault = name[(at + 1)..].StartsWith('@');
                version = name[(at + (isDefault ? 2 : 1))..];
                name = name[..at];
            }
            result.Add(new ReadelfSymbol(table, Hex(m.Groups[1].Value), Size(m.Groups[2].Value), m.Groups[3].Value, m.Groups[4].Value, m.Groups[6].Value, name, version, isDefault));
        }
        return result;
    }

    public static List<ReadelfSegment> ReadelfSegments(string path)
    {
        var result = new List<ReadelfSegment>();
        foreach (var line in ProcessRunner.Output("readelf", "-lW", path).Split('\n'))
        {
            var m = SegmentLine().Match(line);
            if (m.Success)
            {
                result.Add(new ReadelfSegment(m.Groups[1].Value, Hex(m.Groups[2].Value), Hex(m.Groups[3].Value), Hex(m.Groups[4].Value),
                    Hex(m.Groups[5].Value), Hex(m.Groups[6].Value), m.Groups[7].Value.Replace(" ", ""), Hex(m.Groups[8].Value)));
            }
        }
        return result;
    }

    public static List<ReadelfSection> ReadelfSections(string path)
    {
        var result = new List<ReadelfSection>();
        foreach (var line in ProcessRunner.Output("readelf", "-SW", path).Split('\n'))
        {
            var m = SectionLine().Match(line);
            if (m.Success)
                result.Add(new ReadelfSection(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[2].Value.Trim(), m.Groups[3].Value, Hex(m.Groups[4].Value), Hex(m.Groups[5].Value), Hex(m.Groups[6].Value)));
        }
        return result;
    }

    /// <summary>(tag name, value text) pairs of <c>readelf -dW</c>.</summary>
    public static List<(string Tag, string Value)> ReadelfDynamic(string path)
    {
        var result = new List<(string, string)>();
        foreach (var line in ProcessRunner.Output("readelf", "-dW", path).Split('\n'))
        {
            var m = DynamicLine().Match(line);
            if (m.Success)
                result.Add((m.Groups[1].Value, m.Groups[2].Value.Trim()));
        }
        return result;
    }

    public static string? ReadelfBuildId(string path)
    {
        var m = BuildIdLine().Match(ProcessRunner.Output("readelf", "-n", path));
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>Defined symbols of <c>nm -D</c> as (address, name without version, type letter).</summary>
    public static List<(ulong Address, string Name, char Type)> NmDynamic(string path)
    {
        var result = new List<(ulong, string, char)>();
        foreach (var line in ProcessRunner.Output("nm", "-D", path).Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3)
                continue;
            string name = parts[2];
            int at = name.IndexOf('@');
            result.Add((Hex(parts[0]), at > 0 ? name[..at] : name, parts[1][0]));
        }
        return result;
    }

    /// <summary>Function start lines of <c>objdump -d -F</c>: name, vaddr and file offset.</summary>
    public static List<(string Name, ulong Address, ulong FileOffset)> ObjdumpFunctionOffsets(string path)
    {
        var result = new List<(string, ulong, ulong)>();
        var output = ProcessRunner.Run("objdump", ["-d", "-F", "--no-show-raw-insn", path], timeoutSeconds: 300).Stdout;
        foreach (var line in output.Split('\n'))
        {
            var m = ObjdumpFunctionLine().Match(line);
            if (m.Success)
                result.Add((m.Groups[2].Value, Hex(m.Groups[1].Value), Hex(m.Groups[3].Value)));
        }
        return result;
    }

    /// <summary>Addresses of the return instructions objdump disassembles in [start, stop).</summary>
    public static List<ulong> ObjdumpReturns(string path, ulong start, ulong stop)
    {
        var output = ProcessRunner.Output("objdump", "-d", "--no-show-raw-insn", $"--start-address=0x{start:x}", $"--stop-address=0x{stop:x}", path);
        var result = new List<ulong>();
        foreach (var line in output.Split('\n'))
        {
            var m = ObjdumpInstructionLine().Match(line);
            if (m.Success && RetMnemonic().IsMatch(m.Groups[2].Value))
                result.Add(Hex(m.Groups[1].Value));
        }
        return result;
    }

    public static int ObjdumpInstructionCount(string path, ulong start, ulong stop)
    {
        var output = ProcessRunner.Output("objdump", "-d", "--no-show-raw-insn", $"--start-address=0x{start:x}", $"--stop-address=0x{stop:x}", path);
        return output.Split('\n').Count(l => ObjdumpInstructionLine().IsMatch(l));
    }

    [GeneratedRegex(@"^Symbol table '(\.\w+)'")]
    private static partial Regex SymbolTableHeader();

    [GeneratedRegex(@"^\s*\d+:\s+([0-9a-f]+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$")]
    private static partial Regex SymbolLine();

    [GeneratedRegex(@"\s+\(\d+\)$")]
    private static partial Regex VersionIndexSuffix();

    [GeneratedRegex(@"^\s+([A-Z_]+|LOOS\+\w+|0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+([RWE ]{3})\s+(0x[0-9a-f]+)$")]
    private static partial Regex SegmentLine();

    [GeneratedRegex(@"^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]{16})\s+([0-9a-f]+)\s+([0-9a-f]+)\s")]
    private static partial Regex SectionLine();

    [GeneratedRegex(@"^\s*0x[0-9a-f]+\s+\((\w+)\)\s+(.*)$")]
    private static partial Regex DynamicLine();

    [GeneratedRegex(@"Build ID: ([0-9a-f]+)")]
    private static partial Regex BuildIdLine();

    [GeneratedRegex(@"^([0-9a-f]+) <(.+)> \(File Offset: 0x([0-9a-f]+)\):$")]
    private static partial Regex ObjdumpFunctionLine();

    [GeneratedRegex(@"^\s*([0-9a-f]+):\t(.*)$")]
    private static partial Regex ObjdumpInstructionLine();

    [GeneratedRegex(@"^(?:(?:repz|rep|bnd|notrack)\s+)*(?:ret|retq|retl|retw|lret|lretq|lretl|retf)\b")]
    private static partial Regex RetMnemonic();
}
