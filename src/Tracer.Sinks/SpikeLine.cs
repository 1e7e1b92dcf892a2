using System.Globalization;
using System.Text;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// A slow call as a person reads it:
/// <c>14:02:11 alloc_demo 4242 mmap 256M 250 ms  page population 65536 faults  at main+0x40 &lt;- run+0x10</c>.
/// The innermost frame comes first; a line that would pass the screen's edge ends after the last whole frame
/// that fits, with <c>&lt;- ...</c>.
/// </summary>
internal static class SpikeLine
{
    public static string Format(EventPoint spike, TimeZoneInfo timeZone, int width)
    {
        var sb = new StringBuilder(128);
        ScreenText.AppendFitting(sb, 0, Segments(spike, timeZone, includeStack: true), width, " <- ...");
        return sb.ToString();
    }

    /// <summary>The line without its stack, and the stack's frames innermost first (for the run summary).</summary>
    public static (string Head, IReadOnlyList<string> Frames) Split(EventPoint spike, TimeZoneInfo timeZone) =>
        (string.Concat(Segments(spike, timeZone, includeStack: false)), Frames(spike));

    public static IReadOnlyList<string> Frames(EventPoint spike)
    {
        if (spike.Field(Schema.Fields.Stack) is not { Kind: FieldKind.String } stack || stack.String.Length == 0)
            return [];
        // Folded outermost first (flame graph order); the line reads from the call outwards.
        return stack.String.Split(';', StringSplitOptions.RemoveEmptyEntries).Reverse().Select(ScreenText.Clean).ToArray();
    }

    private static IEnumerable<string> Segments(EventPoint spike, TimeZoneInfo timeZone, bool includeStack)
    {
        long ns = spike.TimestampUnixNs ?? 0;
        var time = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(ns / 1_000_000), timeZone);
        yield return time.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        yield return " " + ScreenText.Clean(spike.Tag(Schema.Tags.Comm) ?? "?");
        yield return " " + (spike.Tag(Schema.Tags.Pid) ?? "?");
        yield return " " + ScreenText.Clean(spike.Tag(Schema.Tags.Op) ?? "?");
        if (spike.Field(Schema.Fields.Size) is { Kind: FieldKind.Integer } size)
            yield return " " + HumanUnits.Bytes(size.Integer);
        if (spike.Field(Schema.Fields.Latency) is { Kind: FieldKind.Integer } latency)
            yield return " " + HumanUnits.LatencyWords(latency.Integer);
        string cause = SpikeCauseWords.Describe(spike);
        if (cause.Length > 0)
            yield return "  " + cause;
        if (!includeStack)
            yield break;
        var frames = Frames(spike);
        for (int i = 0; i < frames.Count; i++)
            yield return (i == 0 ? "  at " : " <- ") + frames[i];
    }
}
