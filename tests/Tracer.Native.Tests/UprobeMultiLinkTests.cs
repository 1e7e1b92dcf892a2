using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Tracer.Elf;
using Tracer.Native.Interop;

namespace Tracer.Native.Tests;

/// <summary>
/// Uprobes are uprobe_multi links: the real object in the real kernel, and what the kernel did read back from the
/// processes' own memory (a breakpoint is an int3 byte written into the process's copy of the page), so the test
/// depends on no timing: one descriptor for several functions, breakpoints in the target only, none left after the
/// link is closed.
/// </summary>
public class UprobeMultiLinkTests
{
    private const byte Int3 = 0xcc;
    private static readonly string[] Functions = ["malloc", "calloc", "valloc"];

    [Fact]
    public void OneLinkPlacesSeveralFunctionsInTheTargetProcessOnly()
    {
        using var obj = BpfObject.Open(File.ReadAllBytes(Repository.Path("build", "alloclat.bpf.o")), "alloclat");
        obj.Load();
        Assert.True(obj.UprobeMultiLinks, "this kernel has uprobe_multi links with process filtering (Linux 6.6+ with the pid fix)");

        using var target = RunningShell();
        using var bystander = RunningShell();
        try
        {
            string libc = MappedLibc(target.Id);
            Assert.Equal(libc, MappedLibc(bystander.Id));
            using var elf = ElfFile.Open(libc);
            ulong[] offsets = Functions.Select(f => FileOffsetOf(elf, f)).ToArray();
            byte[] before = offsets.Select(o => ByteAt(target.Id, libc, o)).ToArray();
            Assert.DoesNotContain(Int3, before);

            int descriptors = LinkDescriptors(), perfEvents = PerfEventDescriptors(), links = obj.LinkCount;
            using (obj.AttachUprobes("alloc_enter_size1", target.Id, libc, offsets, [1, 2, 3], retprobe: false))
            {
                Assert.Equal(links + 1, obj.LinkCount);
                Assert.Equal(descriptors + 1, LinkDescriptors());
                Assert.Equal(perfEvents, PerfEventDescriptors());
                Assert.All(offsets, o => Assert.Equal(Int3, ByteAt(target.Id, libc, o)));
                // The same file mapped by another process: not touched (no trap for a process that is not a target).
                Assert.Equal(before, offsets.Select(o => ByteAt(bystander.Id, libc, o)).ToArray());
            }
            // Closed: the breakpoints are gone from the target when close returns, and so is the descriptor.
            Assert.Equal(before, offsets.Select(o => ByteAt(target.Id, libc, o)).ToArray());
            Assert.Equal(descriptors, LinkDescriptors());
            Assert.Equal(links, obj.LinkCount);
        }
        finally
        {
            target.Kill();
            bystander.Kill();
        }
    }

    [Fact]
    public void AProcessThatIsGoneIsRefusedWithEsrch()
    {
        using var obj = BpfObject.Open(File.ReadAllBytes(Repository.Path("build", "alloclat.bpf.o")), "alloclat");
        obj.Load();
        using var gone = Process.Start("/bin/true")!;
        gone.WaitForExit();
        string libc = MappedLibc(Environment.ProcessId);
        var e = Assert.Throws<LibbpfException>(() => obj.AttachUprobes("alloc_enter_size1", gone.Id, libc, [0x1000], [0], retprobe: false));
        Assert.Equal(Errno.ESRCH, e.ErrorNumber);
    }

    [Fact]
    public void AttributeLayoutsAreTheRunningKernels()
    {
        // build/vmlinux.h is generated from this kernel's BTF, so it has uprobe_multi whatever the libc headers say.
        string dir = Directory.CreateTempSubdirectory("alloclat-umulti-").FullName;
        string src = Path.Combine(dir, "layout.c"), exe = Path.Combine(dir, "layout");
        File.WriteAllText(src, """
            #include "vmlinux.h"
            int printf(const char *, ...);
            #define O(m) printf("%s=%lu\n", #m, (unsigned long)__builtin_offsetof(union bpf_attr, m))
            #define E(e) printf("%s=%ld\n", #e, (long)(e))
            int main(void) {
                O(link_create.prog_fd); O(link_create.target_fd); O(link_create.attach_type); O(link_create.flags);
                O(link_create.uprobe_multi.path); O(link_create.uprobe_multi.offsets); O(link_create.uprobe_multi.ref_ctr_offsets);
                O(link_create.uprobe_multi.cookies); O(link_create.uprobe_multi.cnt); O(link_create.uprobe_multi.flags);
                O(link_create.uprobe_multi.pid); O(prog_type); O(insn_cnt); O(insns); O(license); O(expected_attach_type);
                E(BPF_TRACE_UPROBE_MULTI);
                return 0;
            }
            """);
        ProcessRunner.Run("clang", ["-DBPF_NO_PRESERVE_ACCESS_INDEX", "-Wno-unknown-attributes", $"-I{Repository.Path("build")}", "-o", exe, src], timeoutSeconds: 120);
        var c = ProcessRunner.Run(exe, []).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .ToDictionary(l => l[..l.IndexOf('=')], l => long.Parse(l[(l.IndexOf('=') + 1)..], CultureInfo.InvariantCulture));
        Directory.Delete(dir, true);
        foreach (var (field, managed) in new[] { ("prog_fd", "prog_fd"), ("target_fd", "target_fd"), ("attach_type", "attach_type"),
            ("flags", "link_flags"), ("uprobe_multi.path", "path"), ("uprobe_multi.offsets", "offsets"),
            ("uprobe_multi.ref_ctr_offsets", "ref_ctr_offsets"), ("uprobe_multi.cookies", "cookies"), ("uprobe_multi.cnt", "cnt"),
            ("uprobe_multi.flags", "flags"), ("uprobe_multi.pid", "pid") })
            Assert.Equal(c[$"link_create.{field}"], (long)Marshal.OffsetOf<LinkCreateUprobeMultiAttr>(managed));
        Assert.True(Marshal.SizeOf<LinkCreateUprobeMultiAttr>() >= c["link_create.uprobe_multi.pid"] + sizeof(uint));
        foreach (var field in new[] { "prog_type", "insn_cnt", "insns", "license", "expected_attach_type" })
            Assert.Equal(c[field], (long)Marshal.OffsetOf<ProgLoadAttr>(field));
        Assert.Equal(UprobeMultiLink.AttachType, c["BPF_TRACE_UPROBE_MULTI"]);
    }

    private static ulong FileOffsetOf(ElfFile elf, string function) =>
        elf.Symbols.TryGetDefinedFunction(function, out var symbol)
            ? elf.VirtualAddressToFileOffset(symbol.Value)
            : throw new InvalidOperationException($"{function} is not defined in {elf.Name}");

    /// <summary>A shell that has said it runs (so its libc is mapped) and waits on its input.</summary>
    private static Process RunningShell()
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("echo running; read _");
        var shell = Process.Start(psi)!;
        Assert.Equal("running", shell.StandardOutput.ReadLine());
        return shell;
    }

    /// <summary>The libc a process maps, as a path the collector can open (through the process's root).</summary>
    private static string MappedLibc(int pid)
    {
        string path = File.ReadLines($"/proc/{pid}/maps").Select(l => l.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 6).Select(f => f[5].Trim()).First(p => Path.GetFileName(p).StartsWith("libc.so", StringComparison.Ordinal));
        return path;
    }

    /// <summary>The byte a process sees at a file offset of a file it maps (read from its own memory).</summary>
    private static byte ByteAt(int pid, string file, ulong fileOffset)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/maps"))
        {
            var f = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 6 || f[5].Trim() != file)
                continue;
            var range = f[0].Split('-');
            ulong start = ulong.Parse(range[0], NumberStyles.HexNumber), end = ulong.Parse(range[1], NumberStyles.HexNumber);
            ulong offset = ulong.Parse(f[2], NumberStyles.HexNumber);
            if (fileOffset < offset || fileOffset >= offset + (end - start))
                continue;
            using var mem = new FileStream($"/proc/{pid}/mem", FileMode.Open, FileAccess.Read);
            mem.Seek((long)(start + fileOffset - offset), SeekOrigin.Begin);
            int b = mem.ReadByte();
            return b >= 0 ? (byte)b : throw new IOException($"nothing read at 0x{start + fileOffset - offset:x} of process {pid}");
        }
        throw new InvalidOperationException($"file offset 0x{fileOffset:x} of {file} is not mapped by process {pid}");
    }

    private static int LinkDescriptors() => OwnDescriptors("anon_inode:bpf_link");

    private static int PerfEventDescriptors() => OwnDescriptors("anon_inode:[perf_event]");

    private static int OwnDescriptors(string target) => Directory.EnumerateFiles("/proc/self/fd")
        .Select(fd => { try { return new FileInfo(fd).LinkTarget ?? ""; } catch (IOException) { return ""; } })
        .Count(t => t == target);
}
