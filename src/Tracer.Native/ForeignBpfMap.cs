using System.Text;
using Tracer.Native.Interop;

namespace Tracer.Native;

/// <summary>
/// A map another process loaded (another collector's), found by its kernel id and opened for this process.
/// Disposing closes this process's descriptor; the map lives on as long as its owner keeps it.
/// </summary>
public sealed unsafe class ForeignBpfMap : IDisposable
{
    private int _fd;

    private ForeignBpfMap(int fd, uint id, string name, uint type, uint keySize, uint valueSize, uint maxEntries)
    {
        _fd = fd;
        Id = id;
        Map = new BpfMap(name, fd);
        Type = type;
        KeySize = keySize;
        ValueSize = valueSize;
        MaxEntries = maxEntries;
    }

    public uint Id { get; }

    /// <summary>The map, for lookups; valid until this object is disposed.</summary>
    public BpfMap Map { get; }

    /// <summary><c>enum bpf_map_type</c>.</summary>
    public uint Type { get; }

    public uint KeySize { get; }

    public uint ValueSize { get; }

    public uint MaxEntries { get; }

    /// <summary>The id of the next map on the host after <paramref name="id"/>, or 0 when there is none.</summary>
    public static uint NextId(uint id)
    {
        uint next;
        if (NativeMethods.bpf_map_get_next_id(id, &next) == 0)
            return next;
        int errno = Libbpf.LastErrno();
        if (errno == Errno.ENOENT)
            return 0;
        throw new LibbpfException("bpf_map_get_next_id", errno);
    }

    /// <summary>Opens the map with this id; null when it is gone already.</summary>
    public static ForeignBpfMap? TryOpen(uint id)
    {
        int fd = NativeMethods.bpf_map_get_fd_by_id(id);
        if (fd < 0)
        {
            int errno = Libbpf.LastErrno();
            if (errno == Errno.ENOENT)
                return null;
            throw new LibbpfException($"bpf_map_get_fd_by_id({id})", errno);
        }
        // struct bpf_map_info: type, id, key_size, value_size, max_entries, map_flags, then name[16].
        byte* info = stackalloc byte[40];
        uint length = 40;
        if (NativeMethods.bpf_obj_get_info_by_fd(fd, info, &length) != 0)
        {
            int errno = Libbpf.LastErrno();
            Tmds.Linux.LibC.close(fd);
            throw new LibbpfException($"bpf_obj_get_info_by_fd(map {id})", errno);
        }
        uint* u = (uint*)info;
        var name = new ReadOnlySpan<byte>(info + 24, 16);
        int nul = name.IndexOf((byte)0);
        return new ForeignBpfMap(fd, u[1], Encoding.UTF8.GetString(nul < 0 ? name : name[..nul]), u[0], u[2], u[3], u[4]);
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Tmds.Linux.LibC.close(fd);
    }
}
