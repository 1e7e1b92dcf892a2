using Tracer.Sinks;

namespace Alloclat.Cli;

/// <summary>
/// What the command line says about the database: the start-up check's one line (a warning, or an error for an
/// untrusted certificate), and at exit the exact count of points the database lost, with exit code 11.
/// </summary>
internal static class InfluxReporting
{
    /// <summary>The writer, with an unreadable <c>--influx-ca</c> file turned into one <c>[ERROR]</c> line and exit code 2.</summary>
    public static InfluxWriter OpenWriter(InfluxWriterOptions options, TextWriter err)
    {
        try
        {
            return new InfluxWriter(options, err);
        }
        catch (ArgumentException e)
        {
            throw new AlloclatException(ReturnCode.ArgumentError, e.Message);
        }
    }

    /// <summary>
    /// Prints the start-up check's outcome once it is known. Tracing does not wait for it: a database that accepts
    /// connections and never answers must not delay the run (nor, through it, the exit).
    /// </summary>
    public static async Task ReportPingAsync(InfluxWriter writer, TextWriter err, string url, string whileUnreachable)
    {
        InfluxPingResult ping;
        try
        {
            ping = await writer.PingAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        if (ping.Fatal is not null)
            err.WriteLine($"[ERROR] {ping.Message}");
        else if (!ping.Reachable)
            err.WriteLine($"[WARN] InfluxDB at {url} is unreachable ({ping.Message}); {whileUnreachable}");
        else if (!ping.Ok)
            err.WriteLine($"[WARN] {ping.Message}");
    }

    /// <summary>
    /// After the writer is disposed: one <c>[ERROR]</c> line with the exact number of points the database lost
    /// (rejected by it, per point, or still unsent at the end of the flush timeout), and exit code 11 when the
    /// exit code is alloclat's to give and nothing graver set it. Points the full queue dropped are named in the
    /// same line; alone they are the documented bound of <c>--influx-queue</c>, counted in
    /// <c>alloclat_stats.sink_dropped</c>, and leave the exit code alone.
    /// </summary>
    public static int ReportLosses(InfluxWriter writer, TextWriter err, int exitCode, bool decidesExitCode)
    {
        long rejected = writer.RejectedLines;
        long unsent = writer.UnsentAtShutdown ?? writer.QueuedLines;
        long overflowed = writer.OverflowedLines;
        long lost = rejected + unsent;
        if (lost == 0)
            return exitCode;
        long total = writer.SentLines + rejected + unsent + overflowed;
        err.WriteLine($"[ERROR] {lost} of {total} point{(total == 1 ? "" : "s")} were lost to InfluxDB at {writer.Options.Target}: "
            + $"{rejected} rejected by the server, {unsent} not sent within the flush timeout ({writer.Options.FlushTimeout.TotalSeconds:0.###} s)"
            + (overflowed > 0 ? $"; {overflowed} more were dropped from the full queue" : "")
            // A fatal error was reported in its own line already.
            + (writer.FatalError is null && writer.LastFailure is { } why ? $"; last failure: {why}" : ""));
        if (decidesExitCode && exitCode == (int)ReturnCode.Ok && writer.FatalError is null)
            return (int)ReturnCode.DatabasePointsLost;
        return exitCode;
    }
}
