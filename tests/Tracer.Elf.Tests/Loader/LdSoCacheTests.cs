using System.Text.RegularExpressions;
using Tracer.Elf.Loader;

namespace Tracer.Elf.Tests;

public sealed partial class LdSoCacheTests
{
    [GeneratedRegex(@"^\t(\S+) \(([^)]*)\) => (\S+)$")]
    private static partial Regex LdconfigLine();

    [Fact]
    public void SystemCacheMatchesLdconfigPrint()
    {
        var lines = ProcessRunner.Output("ldconfig", "-p").Split('\n');
        var header = Regex.Match(lines[0], @"^(\d+) libs found in cache");
        Assert.True(header.Success, lines[0]);
        var expected = lines.Skip(1).Select(l => LdconfigLine().Match(l)).Where(m => m.Success)
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value)).ToList();
        Assert.Equal(int.Parse(header.Groups[1].Value), expected.Count);

        var cache = LdSoCache.Load();
        Assert.Equal(expected.Count, cache.Entries.Count);
        Assert.Equal(expected, cache.Entries.Select(e => (e.Name, e.IsX86_64 ? "libc6,x86-64" : $"flags=0x{e.Flags:x}", e.Path)));
        Assert.Equal("/lib/x86_64-linux-gnu/libc.so.6", cache.Lookup("libc.so.6"));
        Assert.Equal("/lib/x86_64-linux-gnu/libjemalloc.so.2", cache.Lookup("libjemalloc.so.2"));
        Assert.Null(cache.Lookup("libdoesnotexist.so.7"));
    }

    [Fact]
    public void CorruptCachesGivePreciseErrors()
    {
        var good = File.ReadAllBytes(LdSoCache.DefaultPath);

        var e1 = Assert.Throws<LdCacheFormatException>(() => LdSoCache.Parse("hello world, not a cache at all"u8));
        Assert.Equal("ld.so cache: unknown magic (expected glibc-ld.so.cache1.1)", e1.Message);

        var e2 = Assert.Throws<LdCacheFormatException>(() => LdSoCache.Parse(good.AsSpan(0, 30)));
        Assert.Equal("ld.so cache: header truncated (30 bytes, need 48)", e2.Message);

        var e3 = Assert.Throws<LdCacheFormatException>(() => LdSoCache.Parse(good.AsSpan(0, 1000)));
        Assert.Matches(@"^ld\.so cache: \d+ entries do not fit in 1000 bytes$", e3.Message);

        var pointingOut = (byte[])good.Clone();
        BitConverter.TryWriteBytes(pointingOut.AsSpan(48 + 4), 0x7fffffff);
        var e4 = Assert.Throws<LdCacheFormatException>(() => LdSoCache.Parse(pointingOut));
        Assert.Equal($"ld.so cache: entry 0 has string offset 0x7fffffff past the end (0x{good.Length:x})", e4.Message);

        Assert.IsAssignableFrom<FormatException>(e4);
    }

    [Fact]
    public void LegacyPrefixedCacheIsRead()
    {
        var modern = File.ReadAllBytes(LdSoCache.DefaultPath);
        // A legacy header with one 12-byte entry, padded to 8 bytes, then the modern table unchanged.
        var legacy = new byte[32];
        "ld.so-1.7.0"u8.CopyTo(legacy);
        BitConverter.TryWriteBytes(legacy.AsSpan(12), 1);
        var combined = legacy.Concat(modern).ToArray();
        var cache = LdSoCache.Parse(combined);
        Assert.Equal(LdSoCache.Parse(modern).Entries, cache.Entries);
    }
}
