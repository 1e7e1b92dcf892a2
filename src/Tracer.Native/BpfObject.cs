using System.Runtime.InteropServices;
using System.Text;
using Tracer.Native.Interop;

namespace Tracer.Native;

/// <summary>An opened, then loaded, BPF object file. Disposing it unloads every program and map.</summary>
public sealed unsafe class BpfObject : IDisposable
{
    private readonly SafeBpfObjectHandle _handle;
    private readonly HashSet<BpfLink> _links = new();
    private readonly LinkReaper _reaper;

    private BpfObject(SafeBpfObjectHandle handle)
    {
        _handle = handle;
        _reaper = new LinkReaper();
    }

    public bool IsLoaded { get; private set; }

    /// <summary>
    /// Opens an object from its ELF bytes (the collector embeds its .bpf.o). <paramref name="btfPath"/> names a
    /// kernel BTF file for CO-RE relocations when the kernel does not expose /sys/kernel/btf/vmlinux.
    /// </summary>
    public static BpfObject Open(ReadOnlySpan<byte> elf, string objectName, string? btfPath = null)
    {
        Libbpf.EnsureLoaded();
        byte[] name = Encoding.UTF8.GetBytes(objectName + "\0");
        byte[]? btf = btfPath is null ? null : Encoding.UTF8.GetBytes(btfPath + "\0");
        fixed (byte* p = elf)
        fixed (byte* pName = name)
        fixed (byte* pBtf = btf)
        {
            var opts = new BpfObjectOpenOpts { sz = (nuint)sizeof(BpfObjectOpenOpts), object_name = pName, btf_custom_path = pBtf };
            nint obj = NativeMethods.bpf_object__open_mem(p, (nuint)elf.Length, &opts);
            if (obj == 0)
                throw new LibbpfException("bpf_object__open_mem", Libbpf.LastErrno(), Libbpf.RecentMessages());
            return new BpfObject(new SafeBpfObjectHandle(obj));
        }
    }

    /// <summary>Sizes a map before load (its <c>max_entries</c>).</summary>
    public void SetMaxEntries(string name, uint maxEntries)
    {
        if (IsLoaded)
            throw new InvalidOperationException("a map can only be sized before load");
        int err = NativeMethods.bpf_map__set_max_entries(FindMapPointer(name), maxEntries);
        if (err != 0)
            throw new LibbpfException($"bpf_map__set_max_entries({name}, {maxEntries})", -err);
    }

    /// <summary>Writes the object's read-only data (<c>const volatile</c> globals) before load.</summary>
    public void SetReadOnlyData<T>(in T value) where T : unmanaged
    {
        if (IsLoaded)
            throw new InvalidOperationException(".rodata can only be set before load");
        nint map = FindMapPointer(".rodata");
        T copy = value;
        if (NativeMethods.bpf_map__set_initial_value(map, (byte*)&copy, (nuint)sizeof(T)) != 0)
            throw new LibbpfException("bpf_map__set_initial_value(.rodata)", Libbpf.LastErrno(),
                $"the object's .rodata is not {sizeof(T)} bytes; the collector and bpf/alloclat.h disagree");
    }

    /// <summary>
    /// Whether uprobes are attached as uprobe_multi links (one link, one descriptor and one grace period at removal
    /// for all the offsets of one program in one file) rather than one perf-event link per offset: decided at load,
    /// by what the kernel supports (<see cref="UprobeMultiLink.Supported"/>).
    /// </summary>
    public bool UprobeMultiLinks { get; private set; }

    public void Load()
    {
        UprobeMultiLinks = UprobeMultiLink.Supported;
        // A program is verified for the one way it will be attached: every uprobe program, as an uprobe_multi one.
        if (UprobeMultiLinks)
            for (nint prog = NativeMethods.bpf_object__next_program(_handle, 0); prog != 0; prog = NativeMethods.bpf_object__next_program(_handle, prog))
                if (IsUprobeSection(prog) && NativeMethods.bpf_program__set_expected_attach_type(prog, UprobeMultiLink.AttachType) is int err and not 0)
                    throw new LibbpfException("bpf_program__set_expected_attach_type(BPF_TRACE_UPROBE_MULTI)", -err);
        if (NativeMethods.bpf_object__load(_handle) != 0)
            throw new LibbpfException("bpf_object__load", Libbpf.LastErrno(), Libbpf.RecentMessages());
        IsLoaded = true;
    }

    public BpfMap Map(string name)
    {
        nint map = FindMapPointer(name);
        int fd = NativeMethods.bpf_map__fd(map);
        if (fd < 0)
            throw new LibbpfException($"bpf_map__fd({name})", -fd);
        return new BpfMap(name, fd);
    }

    /// <summary>Attaches a program whose section names its target (<c>tracepoint/syscalls/sys_enter_mmap</c>).</summary>
    public BpfLink Attach(string program)
    {
        nint link = NativeMethods.bpf_program__attach(FindProgram(program));
        if (link == 0)
            throw new LibbpfException($"bpf_program__attach({program})", Libbpf.LastErrno(), Libbpf.RecentMessages());
        return Track(new BpfLink([new SafeBpfLinkHandle(link)], program, this));
    }

    /// <summary>
    /// Attaches a uprobe (or uretprobe) at a file offset of an ELF file. <paramref name="pid"/> -1 traces every
    /// process mapping the file; a pid makes the kernel place the breakpoint in that process only.
    /// </summary>
    public BpfLink AttachUprobe(string program, int pid, string path, ulong fileOffset, ulong cookie, bool retprobe) =>
        AttachUprobes(program, pid, path, [fileOffset], [cookie], retprobe);

    /// <summary>
    /// Attaches one program at several offsets of one ELF file, each with its cookie, as one link: one uprobe_multi
    /// link where the kernel has them (<see cref="UprobeMultiLinks"/>), otherwise one perf-event uprobe per offset
    /// held together. <paramref name="pid"/> -1 traces every process mapping the file; a pid makes the kernel place
    /// the breakpoints in that process only. Either every offset is attached or none is.
    /// </summary>
    public BpfLink AttachUprobes(string program, int pid, string path, ReadOnlySpan<ulong> fileOffsets, ReadOnlySpan<ulong> cookies, bool retprobe)
    {
        if (fileOffsets.Length == 0 || cookies.Length != fileOffsets.Length)
            throw new ArgumentException("one cookie per offset, and at least one offset");
        nint prog = FindProgram(program);
        if (UprobeMultiLinks && IsUprobeSection(prog))
        {
            int fd = UprobeMultiLink.Attach(NativeMethods.bpf_program__fd(prog), Math.Max(pid, 0), path, fileOffsets, cookies, retprobe);
            return Track(new BpfLink([new SafeBpfLinkFdHandle(fd)], program, this));
        }
        var handles = new SafeHandle[fileOffsets.Length];
        try
        {
            for (int i = 0; i < fileOffsets.Length; i++)
                handles[i] = AttachPerfUprobe(prog, program, pid, path, fileOffsets[i], cookies[i], retprobe);
        }
        catch
        {
            foreach (var h in handles)
                h?.Dispose();
            throw;
        }
        return Track(new BpfLink(handles, program, this));
    }

    private static SafeBpfLinkHandle AttachPerfUprobe(nint prog, string program, int pid, string path, ulong fileOffset, ulong cookie, bool retprobe)
    {
        var opts = new BpfUprobeOpts
        {
            sz = (nuint)sizeof(BpfUprobeOpts),
            bpf_cookie = cookie,
            retprobe = retprobe,
        };
        nint link = NativeMethods.bpf_program__attach_uprobe_opts(prog, pid, path, (nuint)fileOffset, &opts);
        if (link == 0)
            throw new LibbpfException($"bpf_program__attach_uprobe_opts({program}, {path}+0x{fileOffset:x})",
                Libbpf.LastErrno());
        return new SafeBpfLinkHandle(link);
    }

    /// <summary>Whether a program is in a <c>uprobe</c> or <c>uretprobe</c> section.</summary>
    private static bool IsUprobeSection(nint prog)
    {
        byte* name = NativeMethods.bpf_program__section_name(prog);
        return name is not null && (Marshal.PtrToStringUTF8((nint)name) ?? "") is var section
            && (section.StartsWith("uprobe", StringComparison.Ordinal) || section.StartsWith("uretprobe", StringComparison.Ordinal));
    }

    public int LinkCount
    {
        get { lock (_links) return _links.Count; }
    }

    private BpfLink Track(BpfLink link)
    {
        lock (_links)
            _links.Add(link);
        return link;
    }

    internal void Untrack(BpfLink link)
    {
        lock (_links)
            _links.Remove(link);
    }

    /// <summary>
    /// Detaches links in the background (<see cref="LinkReaper"/>), so the caller, the polling thread, never waits
    /// for the kernel's grace periods.
    /// </summary>
    public void DetachLater(IEnumerable<BpfLink> links) => _reaper.Add(links);

    /// <summary>Link descriptors the last <see cref="Dispose(HoldGuard?)"/> handed to the guard.</summary>
    public int HandedOver { get; private set; }

    private nint FindProgram(string name)
    {
        nint prog = NativeMethods.bpf_object__find_program_by_name(_handle, name);
        if (prog == 0)
            throw new LibbpfException($"bpf_object__find_program_by_name({name})", Libbpf.LastErrno());
        return prog;
    }

    private nint FindMapPointer(string name)
    {
        nint map = NativeMethods.bpf_object__find_map_by_name(_handle, name);
        if (map == 0)
            throw new LibbpfException($"bpf_object__find_map_by_name({name})", Libbpf.LastErrno());
        return map;
    }

    /// <summary>Detaches every probe, then unloads the object.</summary>
    /// <remarks>
    /// Each detach waits for an RCU grace period in the kernel (tens of milliseconds under load), so tens of links
    /// closed one after another would keep the user waiting seconds after the traced command ended. The waits
    /// overlap when the links are closed from threads of their own: the thread pool would not grow for work that
    /// only waits, and on a small machine would close them two at a time.
    /// </remarks>
    public void Dispose() => Dispose(null);

    /// <summary>
    /// Detaches every probe, then unloads the object; the links of processes that have exited whose removal had not
    /// begun are handed to <paramref name="guard"/> first, which removes them after this process has exited. Their
    /// probes can no longer fire, and their removal, serialized in the kernel, is what would otherwise keep the user
    /// waiting (seconds after a few hundred short-lived processes).
    /// </summary>
    public void Dispose(HoldGuard? guard)
    {
        var exited = _reaper.Stop();
        if (guard is not null && exited.Count > 0)
        {
            var fds = exited.SelectMany(l => l.Descriptors).ToList();
            HandedOver = guard.TakeOver(fds, TimeSpan.FromSeconds(5));
        }
        BpfLink[] links;
        lock (_links)
        {
            links = _links.ToArray();
            _links.Clear();
        }
        int threads = Math.Min(links.Length, 64);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            for (int i = t; i < links.Length; i += threads)
                links[i].Dispose();
        }) { IsBackground = true, Name = "alloclat-detach" }).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        _reaper.Dispose();
        _handle.Dispose();
    }
}

/// <summary>An attached probe, at one or several places. Disposing it detaches the probe.</summary>
public sealed class BpfLink : IDisposable
{
    private readonly SafeHandle[] _handles;
    private readonly BpfObject _owner;

    internal BpfLink(SafeHandle[] handles, string program, BpfObject owner)
    {
        _handles = handles;
        Program = program;
        _owner = owner;
    }

    public string Program { get; }

    /// <summary>The descriptors of a link that is a descriptor only (uprobe_multi): what another process can hold.</summary>
    internal IEnumerable<int> Descriptors =>
        _handles.OfType<SafeBpfLinkFdHandle>().Where(h => !h.IsInvalid && !h.IsClosed).Select(h => (int)h.DangerousGetHandle());

    public void Dispose()
    {
        foreach (var h in _handles)
            h.Dispose();
        _owner.Untrack(this);
    }
}

/// <summary>A map of a loaded object, addressed by its file descriptor (owned by the object).</summary>
public sealed unsafe class BpfMap
{
    internal BpfMap(string name, int fd)
    {
        Name = name;
        Fd = fd;
    }

    public string Name { get; }

    public int Fd { get; }

    public void Update<TKey, TValue>(TKey key, TValue value, ulong flags = 0)
        where TKey : unmanaged where TValue : unmanaged
    {
        if (NativeMethods.bpf_map_update_elem(Fd, &key, &value, flags) != 0)
            throw new LibbpfException($"bpf_map_update_elem({Name})", Libbpf.LastErrno());
    }

    public bool Delete<TKey>(TKey key) where TKey : unmanaged
    {
        if (NativeMethods.bpf_map_delete_elem(Fd, &key) == 0)
            return true;
        int errno = Libbpf.LastErrno();
        if (errno == Errno.ENOENT)
            return false;
        throw new LibbpfException($"bpf_map_delete_elem({Name})", errno);
    }

    /// <summary>Pops the oldest value of a queue map; false when it is empty.</summary>
    public bool TryPop<TValue>(out TValue value) where TValue : unmanaged
    {
        TValue v = default;
        if (NativeMethods.bpf_map_lookup_and_delete_elem(Fd, null, &v) == 0)
        {
            value = v;
            return true;
        }
        value = default;
        int errno = Libbpf.LastErrno();
        if (errno == Errno.ENOENT)
            return false;
        throw new LibbpfException($"bpf_map_lookup_and_delete_elem({Name})", errno);
    }

    public bool TryLookup<TKey, TValue>(TKey key, out TValue value) where TKey : unmanaged where TValue : unmanaged
    {
        TValue v = default;
        if (NativeMethods.bpf_map_lookup_elem(Fd, &key, &v) == 0)
        {
            value = v;
            return true;
        }
        value = default;
        int errno = Libbpf.LastErrno();
        if (errno == Errno.ENOENT)
            return false;
        throw new LibbpfException($"bpf_map_lookup_elem({Name})", errno);
    }

    /// <summary>The map's kernel id, by which another process can open it (<c>BPF_MAP_GET_FD_BY_ID</c>).</summary>
    public uint Id
    {
        get
        {
            // struct bpf_map_info begins with type and id; the kernel fills no more than the length given.
            uint* info = stackalloc uint[2];
            uint length = 2 * sizeof(uint);
            if (NativeMethods.bpf_obj_get_info_by_fd(Fd, info, &length) != 0)
                throw new LibbpfException($"bpf_obj_get_info_by_fd({Name})", Libbpf.LastErrno());
            return info[1];
        }
    }

    /// <summary>
    /// Copies up to <paramref name="keys"/>.Length keys of the map into <paramref name="keys"/> and returns how many;
    /// allocates nothing, and costs one system call when the map is empty.
    /// </summary>
    public int ReadKeys<TKey>(Span<TKey> keys) where TKey : unmanaged
    {
        int n = 0;
        TKey previous = default, next = default;
        bool first = true;
        while (n < keys.Length)
        {
            if (NativeMethods.bpf_map_get_next_key(Fd, first ? null : &previous, &next) != 0)
            {
                int errno = Libbpf.LastErrno();
                if (errno == Errno.ENOENT)
                    break;
                throw new LibbpfException($"bpf_map_get_next_key({Name})", errno);
            }
            keys[n++] = next;
            previous = next;
            first = false;
        }
        return n;
    }

    /// <summary>
    /// Reads the next entries of a hash map in one batch (<c>BPF_MAP_LOOKUP_BATCH</c>): a system call per batch
    /// instead of two per entry. Fills <paramref name="keys"/> and <paramref name="values"/> and returns how many entries were read;
    /// <paramref name="cursor"/> says where the next batch starts and when the map has been read to its end.
    /// </summary>
    public int ReadBatch<TKey, TValue>(Span<TKey> keys, Span<TValue> values, ref BatchCursor cursor)
        where TKey : unmanaged where TValue : unmanaged
    {
        if (values.Length < keys.Length)
            throw new ArgumentException("room for a value per key is needed", nameof(values));
        if (cursor.Ended || keys.IsEmpty)
            return 0;
        // A hash map's batch position is a bucket index (32 bits); 8 bytes leave room.
        ulong inBatch = cursor.Position, outBatch = 0;
        uint count = (uint)keys.Length;
        int r;
        fixed (TKey* k = keys)
        fixed (TValue* v = values)
        {
            r = NativeMethods.bpf_map_lookup_batch(Fd, cursor.Started ? &inBatch : null, &outBatch, k, v, &count, null);
        }
        int errno = r != 0 ? Libbpf.LastErrno() : 0;
        if (r != 0 && errno != Errno.ENOENT)
            throw new LibbpfException($"bpf_map_lookup_batch({Name})", errno);
        cursor = new BatchCursor(outBatch, started: true, ended: r != 0 || count == 0);
        return (int)count;
    }

    /// <summary>Writes entries in one batch (<c>BPF_MAP_UPDATE_BATCH</c>).</summary>
    public void UpdateBatch<TKey, TValue>(ReadOnlySpan<TKey> keys, ReadOnlySpan<TValue> values)
        where TKey : unmanaged where TValue : unmanaged
    {
        if (keys.IsEmpty)
            return;
        fixed (TKey* k = keys)
        fixed (TValue* v = values)
        {
            uint count = (uint)keys.Length;
            if (NativeMethods.bpf_map_update_batch(Fd, k, v, &count, null) != 0)
                throw new LibbpfException($"bpf_map_update_batch({Name}, {keys.Length} keys, {count} written)", Libbpf.LastErrno());
        }
    }

    /// <summary>Deletes entries in one batch (<c>BPF_MAP_DELETE_BATCH</c>); a key already gone is skipped.</summary>
    public void DeleteBatch<TKey>(ReadOnlySpan<TKey> keys) where TKey : unmanaged
    {
        fixed (TKey* k = keys)
        {
            int done = 0;
            while (done < keys.Length)
            {
                uint count = (uint)(keys.Length - done);
                if (NativeMethods.bpf_map_delete_batch(Fd, k + done, &count, null) == 0)
                    return;
                int errno = Libbpf.LastErrno();
                // The kernel stops at the first key it cannot delete: step over it.
                if (errno != Errno.ENOENT)
                    throw new LibbpfException($"bpf_map_delete_batch({Name})", errno);
                done += (int)count + 1;
            }
        }
    }

    /// <summary>Sums a per-CPU array slot of 64-bit counters over every possible CPU.</summary>
    public ulong SumPerCpu(uint index)
    {
        int cpus = Libbpf.PossibleCpus;
        Span<ulong> values = cpus <= 512 ? stackalloc ulong[cpus] : new ulong[cpus];
        fixed (ulong* p = values)
        {
            if (NativeMethods.bpf_map_lookup_elem(Fd, &index, p) != 0)
                throw new LibbpfException($"bpf_map_lookup_elem({Name}[{index}])", Libbpf.LastErrno());
        }
        ulong sum = 0;
        foreach (var v in values)
            sum += v;
        return sum;
    }
}

/// <summary>Where the next batch of <see cref="BpfMap.ReadBatch"/> starts; <c>default</c> is the map's beginning.</summary>
public readonly struct BatchCursor(ulong position, bool started, bool ended)
{
    public ulong Position { get; } = position;

    public bool Started { get; } = started;

    /// <summary>The map has been read to its end.</summary>
    public bool Ended { get; } = ended;
}

