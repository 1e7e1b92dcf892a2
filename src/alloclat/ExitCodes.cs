using Tracer.Kafka;
using Tracer.Native;
using Tracer.Probes;

namespace Alloclat.Cli;

/// <summary>
/// The one place where what went wrong becomes an exit code. The libraries throw exceptions that say what happened;
/// the commands end with the exception's message as one <c>[ERROR]</c> line and the code given here.
/// </summary>
internal static class ExitCodeMap
{
    /// <summary>The exit code for a failure the user can act on, or null for one that is not expected.</summary>
    public static ReturnCode? For(Exception e) => e switch
    {
        AlloclatException a => a.Code,
        MissingPrivilegeException => ReturnCode.PrivilegeError,
        KernelFeatureMissingException => ReturnCode.KernelFeatureError,
        LibbpfUnavailableException => ReturnCode.LibbpfError,
        TargetGoneException => ReturnCode.ProcessNotFound,
        UntraceableProcessException => ReturnCode.ProcessNotFound,
        TargetAccessDeniedException => ReturnCode.PrivilegeError,
        InvalidTargetException => ReturnCode.ArgumentError,
        UnprobeableBinaryException => ReturnCode.BinaryError,
        AggregatorSetupException => ReturnCode.ArgumentError,
        _ => null,
    };

    /// <summary>Whether the failure is one of those above: one sentence for the user, not a stack trace.</summary>
    public static bool IsKnown(Exception e) => For(e) is not null;
}
