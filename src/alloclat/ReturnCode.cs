namespace Alloclat.Cli;

/// <summary>
/// Process exit codes. Each failure a user can cause or fix has its own code, so scripts can tell them apart.
/// A traced command's own exit code is passed through instead when alloclat ran it (<c>record -- cmd</c>).
/// </summary>
public enum ReturnCode
{
    Ok = 0,
    UnknownError = 1,
    ArgumentError = 2,
    PrivilegeError = 3,
    KernelFeatureError = 4,
    LibbpfError = 5,
    ProcessNotFound = 6,
    ProcessExited = 7,
    BinaryError = 8,
    SinkError = 9,
    OutputError = 10,
    /// <summary>Points were lost to the database: rejected by it, or not sent by the end of the flush timeout.</summary>
    DatabasePointsLost = 11,
    Interrupted = 130,
}

/// <summary>An error that ends the run with one line for the user and a distinct exit code.</summary>
public class AlloclatException : Exception
{
    public AlloclatException(ReturnCode code, string message, Exception? inner = null) : base(message, inner)
        => Code = code;

    public ReturnCode Code { get; }
}
