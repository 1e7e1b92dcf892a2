using System.Globalization;
using System.Text;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// The run summary as printed when the run ends: the run's span and totals, every series with its whole-run
/// percentiles (slowest p99.9 first), and the slowest calls with their cause and their whole stack.
/// </summary>
public static class RunSummaryText
{
    public static string Render(RunSummary summary, int width = 120, TimeZoneInfo? timeZone = null)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var zone = timeZone ?? TimeZoneInfo.Local;
        width = Math.Max(width, 40);
        var sb = new StringBuilder(1024);
        string Clock(long ns) => TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(ns / 1_000_000), zone)
            .ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        var t = summary.Totals;
        sb.Append("run summary ").Append(Clock(summary.StartUnixNs)).Append(" to ").Append(Clock(summary.EndUnixNs))
            .Append(" (").Append(HumanUnits.LatencyWords(summary.EndUnixNs - summary.StartUnixNs)).Append(", ")
            .Append(t.Intervals).Append(" intervals)\n");
        sb.Append("  events ").Append(t.Events).Append("  lost ").Append(t.Lost)
            .Append("  inflight drops ").Append(t.InflightDropped).Append("  sink drops ").Append(t.SinkDropped)
            .Append("  slow calls ").Append(t.Spikes).Append('\n');
        if (t.ProbeCost is { } cost)
            sb.Append("  ").Append(HumanUnits.ProbeCost(cost)).Append(" (each malloc-family latency")
                .Append(cost.Subtracted ? " is corrected by it" : " includes it: --raw-latency").Append("); a call pays ")
                .Append(HumanUnits.LatencyWords((long)Math.Round(cost.CallNs))).Append(" for its traps\n");
        sb.Append("whole-run percentiles (merged interval histograms):\n");
        if (summary.Series.Count == 0)
        {
            sb.Append("  (no call measured)\n");
        }
        else
        {
            SeriesRows.AppendHeader(sb, width);
            sb.Append('\n');
            foreach (var s in SeriesRows.Sort(summary.Series, SeriesOrder.P999))
            {
                SeriesRows.AppendRow(sb, s, width);
                sb.Append('\n');
            }
        }
        if (t.OmittedSeries > 0)
            sb.Append("  (").Append(t.OmittedSeries).Append(" faster series of exited processes not listed; their calls are in the events above)\n");
        if (summary.WorstSpikes.Count > 0)
        {
            sb.Append("slowest calls:\n");
            foreach (var spike in summary.WorstSpikes)
            {
                var (head, frames) = SpikeLine.Split(spike, zone);
                sb.Append("  ").Append(head).Append('\n');
                if (frames.Count == 0)
                    continue;
                int lineStart = sb.Length;
                sb.Append("      at");
                for (int i = 0; i < frames.Count; i++)
                {
                    string segment = (i == 0 ? " " : " <- ") + frames[i];
                    // The whole stack is printed, wrapped between frames.
                    if (sb.Length - lineStart + segment.Length > width && sb.Length - lineStart > 8)
                    {
                        sb.Append('\n');
                        lineStart = sb.Length;
                        sb.Append("        ");
                    }
                    sb.Append(segment);
                }
                sb.Append('\n');
            }
        }
        return sb.ToString();
    }
}
