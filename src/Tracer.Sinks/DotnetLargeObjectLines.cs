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
            if (s.Measurement != "gc_pause" || s.Tag("reason") != "AllocLarge")
                continue;
            sb.Append("  LARGE-OBJECT GC  pid=").Append(s.Tag("pid")).Append(" comm=").Append(s.Tag("comm"))
                .Append(" gen").Append(s.Tag("generation")).Append(' ').Append(s.Tag("type"))
                .Append(": ").Append(s.Stats.Count.ToString(CultureInfo.InvariantCulture))
                .Append(s.Stats.Count == 1 ? " pause" : " pauses").Append(", longest ").Append(HumanUnits.Latency(s.Stats.Max))
                .Append(" (allocations on the large object heap ran out of budget)\n");
        }
    }
}
