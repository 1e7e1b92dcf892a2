using System.Runtime.InteropServices;

namespace Tracer.Native.Interop;

/// <summary>
/// Every libbpf and libc entry point the collector calls. libbpf 1.x returns NULL or a negative value and sets
/// errno, so every import sets the last P/Invoke error; <see cref="Libbpf"/> turns it into exceptions.
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string LibBpf = "libbpf.so.1";
    private const string LibC = "libc";

    [LibraryImport(LibBpf)]
    internal static partial uint libbpf_major_version();

    [LibraryImport(LibBpf)]
    internal static partial uint libbpf_minor_version();

    [LibraryImport(LibBpf)]
    internal static partial int libbpf_num_possible_cpus();

    [LibraryImport(LibBpf)]
    internal static partial /* libbpf_print_fn_t */ nint libbpf_set_print(
        /* libbpf_print_fn_t */ delegate* unmanaged<int, byte*, nint, int> fn);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial /* struct bpf_object * */ nint bpf_object__open_mem(
        /* const void * */ byte* obj_buf, /* size_t */ nuint obj_buf_sz, /* const struct bpf_object_open_opts * */ BpfObjectOpenOpts* opts);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_object__load(/* struct bpf_object * */ SafeBpfObjectHandle obj);

    [LibraryImport(LibBpf)]
    internal static partial void bpf_object__close(/* struct bpf_object * */ nint obj);

    [LibraryImport(LibBpf, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial /* struct bpf_map * */ nint bpf_object__find_map_by_name(SafeBpfObjectHandle obj, string name);

    [LibraryImport(LibBpf, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial /* struct bpf_program * */ nint bpf_object__find_program_by_name(SafeBpfObjectHandle obj, string name);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map__fd(/* const struct bpf_map * */ nint map);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map__set_max_entries(/* struct bpf_map * */ nint map, /* __u32 */ uint maxEntries);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map__set_initial_value(/* struct bpf_map * */ nint map, /* const void * */ byte* data, /* size_t */ nuint size);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial /* struct bpf_link * */ nint bpf_program__attach(/* const struct bpf_program * */ nint prog);

    [LibraryImport(LibBpf, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial /* struct bpf_link * */ nint bpf_program__attach_uprobe_opts(
        /* const struct bpf_program * */ nint prog, /* pid_t */ int pid, /* const char * */ string binary_path,
        /* size_t */ nuint func_offset, /* const struct bpf_uprobe_opts * */ BpfUprobeOpts* opts);

    [LibraryImport(LibBpf)]
    internal static partial int bpf_link__destroy(/* struct bpf_link * */ nint link);

    [LibraryImport(LibBpf)]
    internal static partial /* struct bpf_program * */ nint bpf_object__next_program(
        SafeBpfObjectHandle obj, /* struct bpf_program * */ nint prev);

    [LibraryImport(LibBpf)]
    internal static partial /* const char * */ byte* bpf_program__section_name(/* const struct bpf_program * */ nint prog);

    [LibraryImport(LibBpf)]
    internal static partial int bpf_program__set_expected_attach_type(
        /* struct bpf_program * */ nint prog, /* enum bpf_attach_type */ int type);

    [LibraryImport(LibBpf)]
    internal static partial int bpf_program__fd(/* const struct bpf_program * */ nint prog);

    /// <summary>
    /// <c>syscall(SYS_bpf, cmd, attr, size)</c>, for the commands libbpf 1.1 has no wrapper for (uprobe_multi links).
    /// glibc's syscall() only moves registers, so the variadic call needs nothing more.
    /// </summary>
    [LibraryImport(LibC, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long bpf_syscall(long number, int cmd, /* union bpf_attr * */ void* attr, uint size);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map_update_elem(int fd, /* const void * */ void* key, /* const void * */ void* value, ulong flags);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map_lookup_elem(int fd, /* const void * */ void* key, /* void * */ void* value);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map_delete_elem(int fd, /* const void * */ void* key);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map_lookup_and_delete_elem(int fd, /* const void * */ void* key, /* void * */ void* value);

    // The batch operations (kernel 5.6+). opts may be null: no element or map flags.
    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map_lookup_batch(int fd, /* void * */ void* in_batch, /* void * */ void* out_batch,
        /* void * */ void* keys, /* void * */ void* values, /* __u32 * */ uint* count, /* const struct bpf_map_batch_opts * */ void* opts);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map_update_batch(int fd, /* const void * */ void* keys, /* const void * */ void* values,
        /* __u32 * */ uint* count, /* const struct bpf_map_batch_opts * */ void* opts);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map_delete_batch(int fd, /* const void * */ void* keys, /* __u32 * */ uint* count,
        /* const struct bpf_map_batch_opts * */ void* opts);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map_get_next_key(int fd, /* const void * */ void* key, /* void * */ void* next_key);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_obj_get_info_by_fd(int bpf_fd, /* void * */ void* info, /* __u32 * */ uint* info_len);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map_get_next_id(/* __u32 */ uint start_id, /* __u32 * */ uint* next_id);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map_get_fd_by_id(/* __u32 */ uint id);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial /* struct perf_buffer * */ nint perf_buffer__new_raw(
        int map_fd, /* size_t */ nuint page_cnt, /* struct perf_event_attr * */ PerfEventAttr* attr,
        /* perf_buffer_event_fn */ delegate* unmanaged<nint, int, PerfEventHeader*, int> event_cb,
        /* void * */ nint ctx, /* const struct perf_buffer_raw_opts * */ PerfBufferRawOpts* opts);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int perf_buffer__poll(SafePerfBufferHandle pb, int timeout_ms);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int perf_buffer__consume(SafePerfBufferHandle pb);

    [LibraryImport(LibBpf)]
    internal static partial int perf_buffer__epoll_fd(SafePerfBufferHandle pb);

    [LibraryImport(LibC, SetLastError = true)]
    internal static partial int poll(/* struct pollfd * */ PollFd* fds, /* nfds_t */ nuint nfds, int timeout);

    [LibraryImport(LibBpf)]
    internal static partial void perf_buffer__free(/* struct perf_buffer * */ nint pb);

    [LibraryImport(LibC, SetLastError = true)]
    internal static partial int clock_gettime(int clockid, Timespec* tp);

    /// <summary><c>sched_getaffinity(0, ...)</c>: the calling thread's CPU mask.</summary>
    [LibraryImport(LibC, SetLastError = true)]
    internal static partial int sched_getaffinity(int pid, nuint cpusetsize, /* cpu_set_t * */ ulong* mask);

    [LibraryImport(LibC, SetLastError = true)]
    internal static partial int sched_setaffinity(int pid, nuint cpusetsize, /* const cpu_set_t * */ ulong* mask);

    [LibraryImport(LibC)]
    internal static partial int vsnprintf(byte* str, nuint size, byte* format, /* va_list */ nint ap);

    internal const int CLOCK_REALTIME = 0;
    internal const int CLOCK_MONOTONIC = 1;
}

[StructLayout(LayoutKind.Sequential)]
internal struct Timespec
{
    public long tv_sec;
    public long tv_nsec;
}

/// <summary><c>struct bpf_uprobe_opts</c> of libbpf 1.1.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BpfUprobeOpts
{
    public nuint sz;
    public nuint ref_ctr_offset;
    public ulong bpf_cookie;
    [MarshalAs(UnmanagedType.U1)] public bool retprobe;
    public byte* func_name;
}

/// <summary>The leading fields of <c>union bpf_attr</c> for <c>BPF_PROG_LOAD</c>, up to <c>expected_attach_type</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 72)]
internal struct ProgLoadAttr
{
    [FieldOffset(0)] public uint prog_type;
    [FieldOffset(4)] public uint insn_cnt;
    [FieldOffset(8)] public ulong insns;
    [FieldOffset(16)] public ulong license;
    [FieldOffset(68)] public uint expected_attach_type;
}

/// <summary><c>union bpf_attr</c> for <c>BPF_LINK_CREATE</c> with its <c>uprobe_multi</c> member (Linux 6.6+).</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct LinkCreateUprobeMultiAttr
{
    [FieldOffset(0)] public uint prog_fd;
    [FieldOffset(4)] public uint target_fd;
    [FieldOffset(8)] public uint attach_type;
    [FieldOffset(12)] public uint link_flags;
    [FieldOffset(16)] public ulong path;
    [FieldOffset(24)] public ulong offsets;
    [FieldOffset(32)] public ulong ref_ctr_offsets;
    [FieldOffset(40)] public ulong cookies;
    [FieldOffset(48)] public uint cnt;
    [FieldOffset(52)] public uint flags;
    [FieldOffset(56)] public uint pid;
}

/// <summary><c>struct bpf_object_open_opts</c> of libbpf 1.1 (later versions only append fields).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BpfObjectOpenOpts
{
    public nuint sz;
    public byte* object_name;
    [MarshalAs(UnmanagedType.U1)] public bool relaxed_maps;
    public byte* pin_root_path;
    public uint removed_attach_prog_fd;
    public byte* kconfig;
    public byte* btf_custom_path;
    public byte* kernel_log_buf;
    public nuint kernel_log_size;
    public uint kernel_log_level;
}

/// <summary><c>struct perf_buffer_raw_opts</c> of libbpf 1.1 (the two unnamed <c>long :0</c> only align).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct PerfBufferRawOpts
{
    public nuint sz;
    public int cpu_cnt;
    public int* cpus;
    public int* map_keys;
}

/// <summary>
/// The leading fields of <c>struct perf_event_attr</c> this reader sets; the rest of the kernel's struct
/// (<see cref="Size"/> bytes in all) stays zero. The flags word holds the C bitfield (disabled, inherit, ...).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct PerfEventAttr
{
    public const int Size = 136;
    public const uint PERF_TYPE_SOFTWARE = 1;
    public const ulong PERF_COUNT_SW_BPF_OUTPUT = 10;
    public const ulong PERF_SAMPLE_RAW = 1 << 10;
    public const ulong FlagWatermark = 1UL << 14;

    [FieldOffset(0)] public uint type;
    [FieldOffset(4)] public uint size;
    [FieldOffset(8)] public ulong config;
    [FieldOffset(16)] public ulong sample_period;
    [FieldOffset(24)] public ulong sample_type;
    [FieldOffset(32)] public ulong read_format;
    [FieldOffset(40)] public ulong flags;
    [FieldOffset(48)] public uint wakeup_watermark;
}

/// <summary><c>struct pollfd</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public const short POLLIN = 1;

    public int fd;
    public short events;
    public short revents;
}

/// <summary><c>struct perf_event_header</c>: every record in a perf ring starts with one.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PerfEventHeader
{
    public const uint PERF_RECORD_LOST = 2;
    public const uint PERF_RECORD_SAMPLE = 9;

    public uint type;
    public ushort misc;
    public ushort size;
}
