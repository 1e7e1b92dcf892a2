using System.Runtime.InteropServices;
using Tracer.Core;

namespace Alloclat.Cli;

/// <summary>
/// What went wrong with an output file, in one sentence naming the file and the system's reason (errno), for the
/// one <c>[ERROR]</c> line an output failure gets.
/// </summary>
internal static class OutputFailure
{
    private const int ENOENT = 2, EACCES = 13, EISDIR = 21, ENOSPC = 28, EROFS = 30, EDQUOT = 122;

    /// <summary>The errno behind an I/O exception, when the runtime kept it.</summary>
    public static int? Errno(Exception e)
    {
        switch (e)
        {
            case DirectoryNotFoundException:
                return ENOENT;
            case FileNotFoundException:
                return ENOENT;
            case UnauthorizedAccessException:
                return EACCES;
            case IOException io when io.HResult is > 0 and < 4096:
                return io.HResult;
            default:
                return null;
        }
    }

    public static string Reason(Exception e, string path) => Errno(e) switch
    {
        ENOENT => "its directory does not exist (ENOENT)",
        EACCES when Directory.Exists(path) => "it is a directory (EISDIR)",
        EACCES => "permission denied (EACCES)",
        EISDIR => "it is a directory (EISDIR)",
        ENOSPC => "no space left on the device (ENOSPC)",
        EROFS => "the filesystem is read-only (EROFS)",
        EDQUOT => "the disk quota is exceeded (EDQUOT)",
        int errno => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})",
        null => e.Message,
    };

    public static AlloclatException Open(Exception e, string path) =>
        new(ReturnCode.OutputError, $"cannot write line protocol to {path}: {Reason(e, path)}", e);
}
