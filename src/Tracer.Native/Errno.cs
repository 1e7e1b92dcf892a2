using System.Runtime.InteropServices;

namespace Tracer.Native;

/// <summary>errno values the collector reacts to, and their symbolic names for messages.</summary>
public static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int E2BIG = 7;
    public const int EBADF = 9;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
    public const int ENOSYS = 38;
    public const int EOPNOTSUPP = 95;

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        ESRCH => "ESRCH",
        E2BIG => "E2BIG",
        EBADF => "EBADF",
        ENOMEM => "ENOMEM",
        EACCES => "EACCES",
        EFAULT => "EFAULT",
        EBUSY => "EBUSY",
        EEXIST => "EEXIST",
        EINVAL => "EINVAL",
        ENOSPC => "ENOSPC",
        ENOSYS => "ENOSYS",
        EOPNOTSUPP => "EOPNOTSUPP",
        _ => $"errno {errno}",
    };

    public static string Describe(int errno) => $"{Name(errno)}: {Marshal.GetPInvokeErrorMessage(errno)}";
}

/// <summary>A libbpf call failed. Carries the call and errno so callers can map it to a user-facing reason.</summary>
public sealed class LibbpfException : Exception
{
    public LibbpfException(string call, int errno, string? detail = null)
        : base($"{call} failed ({Errno.Describe(errno)}){(detail is null ? "" : ": " + detail)}")
    {
        Call = call;
        ErrorNumber = errno;
    }

    public string Call { get; }

    public int ErrorNumber { get; }
}
