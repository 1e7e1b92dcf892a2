using System.Globalization;
using System.Text;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// The live table's line for .NET collections caused by large-object allocations (gc_pause, reason AllocLarge):
/// the managed form of a slow allocation, said under the table so it is not lost among the rows.
/// </summary>
internal static class DotnetLargeObjectLines
{
    public static void Append(StringBuilder sb, IReadOnlyList<SeriesSnapshot> series)
    {
        foreach (var s in series)
        {
            if (s.Measurement != Schema.Measurements.GcPause || s.Tag(Schema.Tags.Reason) != "AllocLarge")
                continue;
            sb.Append("  LARGE-OBJECT GC  pid=").Append(s.Tag(Schema.Tags.Pid)).Append(" comm=").Append(s.Tag(Schema.Tags.Comm))
                .Append(" gen").Append(s.Tag(Schema.Tags.Generation)).Append(' ').Append(s.Tag(Schema.Tags.Type))
                .Append(": ").Append(s.Stats.Count.ToString(CultureInfo.InvariantCulture))
                .Append(s.Stats.Count == 1 ? " pause" : " pauses").Append(", longest ").Append(HumanUnits.Latency(s.Stats.Max))
                .Append(" (allocations on the large object heap ran out of budget)\n");
        }
    }
}
