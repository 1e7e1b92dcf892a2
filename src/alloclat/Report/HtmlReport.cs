using System.Text;
using Tracer.Core;
using static Alloclat.Cli.Report.Svg;

namespace Alloclat.Cli.Report;

/// <summary>
/// The report as one self-contained HTML file: inline CSS, inline SVG drawn here, a few lines of inline script
/// (sorting the spike table); nothing is fetched from anywhere. Every plotted number is also in a data attribute,
/// so what the page shows can be checked against the input.
/// </summary>
public static class HtmlReport
{
    public const int MaxSeriesCharts = 24;
    private static readonly (string Field, string Colour)[] s_lines = [("p50", "#4c9be8"), ("p99", "#e8a33c"), ("p999", "#d9453b"), ("max", "#7a3da8")];

    public static string Render(ReportData d, string source)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>alloclat report: ")
          .Append(E(Path.GetFileName(source))).Append("</title><style>").Append(Css).Append("</style></head><body>");
        sb.Append($"<h1>Allocation latency: {E(Path.GetFileName(source))}</h1>");
        long start = d.Times.Count > 0 ? d.Times[0] : 0, end = d.Times.Count > 0 ? d.Times[^1] : 0;
        sb.Append("<p class=\"meta\" id=\"meta\">")
          .Append($"host {E(d.Hosts.Length > 0 ? d.Hosts : "?")} · {d.Times.Count} intervals")
          .Append(d.Times.Count > 0 ? $" from {E(Clock(start))} to {E(Clock(end))} UTC" : "")
          .Append($" · {d.Latency.Count} latency series · {d.GcPauses.Count} GC pause series · {d.Spikes.Count} slow calls")
          .Append($" · {I(d.Events)} events, {I(d.Lost)} lost</p>");

        Summary(sb, d);
        sb.Append("<h2 id=\"percentiles\">Percentiles over time</h2>");
        if (d.Latency.Count > MaxSeriesCharts)
            sb.Append($"<p class=\"note\">The {MaxSeriesCharts} series with the worst p99.9 of {d.Latency.Count}.</p>");
        sb.Append("<div class=\"grid\">");
        foreach (var s in d.Latency.Take(MaxSeriesCharts))
            Chart(sb, s, d.Times, "series-chart");
        sb.Append("</div>");
        Heatmap(sb, d);
        sb.Append("<h2 id=\"gc\">GC pauses</h2>");
        if (d.GcPauses.Count == 0)
            sb.Append("<p class=\"note\" id=\"no-gc\">No GC pause was recorded (no Go or .NET runtime traced).</p>");
        sb.Append("<div class=\"grid\">");
        foreach (var s in d.GcPauses.Take(MaxSeriesCharts))
            Chart(sb, s, d.Times, "gc-chart");
        sb.Append("</div>");
        Spikes(sb, d);
        Flame(sb, d);
        sb.Append("<script>").Append(Script).Append("</script></body></html>");
        return sb.ToString();
    }

    private static string Clock(long ns) => DateTime.UnixEpoch.AddTicks(ns / 100).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

    private static void Summary(StringBuilder sb, ReportData d)
    {
        sb.Append("<h2 id=\"series\">Series</h2><table id=\"series-table\"><thead><tr><th>series</th><th>calls</th><th>worst p99.9</th><th>max</th></tr></thead><tbody>");
        foreach (var s in d.Latency.Concat(d.GcPauses))
            sb.Append($"<tr data-series=\"{E(s.Label)}\" data-count=\"{s.Count}\" data-p999=\"{s.WorstP999}\" data-max=\"{s.Max}\"><td>{E(s.Measurement == Schema.Measurements.GcPause ? "GC pause " + s.Label : s.Label)}</td><td class=\"num\">{I(s.Count)}</td><td class=\"num\">{Latency(s.WorstP999)}</td><td class=\"num\">{Latency(s.Max)}</td></tr>");
        sb.Append("</tbody></table>");
    }

    /// <summary>p50, p99, p99.9 and max of one series on a log latency axis, one point per interval.</summary>
    private static void Chart(StringBuilder sb, SeriesData s, IReadOnlyList<long> times, string cls)
    {
        const double W = 560, H = 210, L = 64, R = 10, T = 40, B = 28;
        long t0 = times.Count > 0 ? times[0] : 0, t1 = times.Count > 0 ? times[^1] : 1;
        double span = Math.Max(1, t1 - t0);
        var (lo, hi) = LogRange(s.Intervals.Where(v => v.P50 > 0).Select(v => v.P50).DefaultIfEmpty(1).Min(), s.Max);
        double X(long t) => L + (W - L - R) * ((t - t0) / span);
        double Y(long v) => T + (H - T - B) * (1 - (Math.Log10(Math.Max(1, v)) - lo) / (hi - lo));
        sb.Append($"<figure class=\"chart\"><svg class=\"{cls}\" viewBox=\"0 0 {N(W)} {N(H)}\" width=\"{N(W)}\" height=\"{N(H)}\" role=\"img\" data-series=\"{E(s.Label)}\" data-times=\"{string.Join(' ', s.Intervals.Select(v => I(v.TimestampNs)))}\" data-counts=\"{string.Join(' ', s.Intervals.Select(v => I(v.Count)))}\">");
        Text(sb, L, 16, s.Measurement == Schema.Measurements.GcPause ? "GC pause " + s.Label : s.Label, "title");
        for (double e = lo; e <= hi; e++)
        {
            double y = Y((long)Math.Pow(10, e));
            sb.Append($"<line class=\"grid\" x1=\"{N(L)}\" x2=\"{N(W - R)}\" y1=\"{N(y)}\" y2=\"{N(y)}\"/>");
            Text(sb, L - 6, y + 4, Latency((long)Math.Pow(10, e)), "axis", "end");
        }
        Text(sb, L, H - 8, "0 s", "axis");
        Text(sb, W - R, H - 8, $"{N(span / 1e9)} s", "axis", "end");
        foreach (var (field, colour) in s_lines)
        {
            var values = s.Intervals.Select(v => field switch { "p50" => v.P50, "p99" => v.P99, "p999" => v.P999, _ => v.Max }).ToList();
            string pts = string.Join(' ', s.Intervals.Select((v, i) => $"{N(X(v.TimestampNs))},{N(Y(values[i]))}"));
            sb.Append($"<polyline class=\"line {field}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\" points=\"{pts}\" data-values=\"{string.Join(' ', values.Select(I))}\"/>");
            foreach (var (v, i) in s.Intervals.Select((v, i) => (v, i)))
                sb.Append($"<circle cx=\"{N(X(v.TimestampNs))}\" cy=\"{N(Y(values[i]))}\" r=\"2\" fill=\"{colour}\"><title>{E(field)} {Latency(values[i])} ({I(v.Count)} calls)</title></circle>");
        }
        double lx = L;
        foreach (var (field, colour) in s_lines)
        {
            sb.Append($"<rect x=\"{N(lx)}\" y=\"21\" width=\"10\" height=\"10\" fill=\"{colour}\"/>");
            Text(sb, lx + 13, 30, field == "p999" ? "p99.9" : field, "legend");
            lx += 62;
        }
        sb.Append("</svg></figure>");
    }

    /// <summary>Size classes by interval, coloured by the worst p99.9 of that class in that interval.</summary>
    private static void Heatmap(StringBuilder sb, ReportData d)
    {
        sb.Append("<h2 id=\"heatmap-title\">Latency heatmap by size class (worst p99.9 per interval)</h2>");
        if (d.Heatmap.Count == 0 || d.Times.Count == 0)
        {
            sb.Append("<p class=\"note\">No allocation was recorded.</p>");
            return;
        }
        const double L = 56, T = 8, CellH = 18;
        double cellW = Math.Clamp(900.0 / d.Times.Count, 2, 24), W = L + cellW * d.Times.Count + 10, H = T + CellH * d.Heatmap.Count + 24;
        var all = d.Heatmap.SelectMany(r => r.Cells).Select(c => c.P999).Where(v => v > 0).DefaultIfEmpty(1).ToList();
        var (lo, hi) = LogRange(all.Min(), all.Max());
        sb.Append($"<svg id=\"heatmap\" viewBox=\"0 0 {N(W)} {N(H)}\" width=\"{N(W)}\" height=\"{N(H)}\" role=\"img\">");
        for (int r = 0; r < d.Heatmap.Count; r++)
        {
            var (sizeClass, cells) = d.Heatmap[r];
            double y = T + r * CellH;
            Text(sb, L - 6, y + CellH - 5, sizeClass, "axis", "end");
            foreach (var (t, p999, count) in cells)
            {
                double pos = (Math.Log10(Math.Max(1, p999)) - lo) / (hi - lo);
                sb.Append($"<rect class=\"cell\" x=\"{N(L + t * cellW)}\" y=\"{N(y)}\" width=\"{N(Math.Max(1, cellW - 1))}\" height=\"{N(CellH - 1)}\" fill=\"{Heat(pos)}\" data-size-class=\"{E(sizeClass)}\" data-time=\"{I(d.Times[t])}\" data-p999=\"{I(p999)}\" data-count=\"{I(count)}\"><title>{E(sizeClass)} at {N((d.Times[t] - d.Times[0]) / 1e9)} s: p99.9 {Latency(p999)}, {I(count)} calls</title></rect>");
            }
        }
        Text(sb, L, H - 6, $"colour: {Latency((long)Math.Pow(10, lo))} (cool) to {Latency((long)Math.Pow(10, hi))} (hot)", "axis");
        sb.Append("</svg>");
    }

    private static void Spikes(StringBuilder sb, ReportData d)
    {
        sb.Append("<h2 id=\"spikes\">Slow calls</h2>");
        if (d.Spikes.Count == 0)
        {
            sb.Append("<p class=\"note\" id=\"no-spikes\">No call reached the spike threshold.</p>");
            return;
        }
        sb.Append("<table id=\"spike-table\"><thead><tr><th data-sort=\"num\">time</th><th>process</th><th>op</th><th data-sort=\"num\">size</th><th data-sort=\"num\">latency</th><th>cause</th><th>where the time went</th><th>stack</th></tr></thead><tbody>");
        foreach (var s in d.Spikes)
        {
            string parts = string.Join(", ", s.Parts.Select(p => $"{p.Name} {Latency(p.Ns)}").Append($"{I(s.Faults)} faults"));
            sb.Append($"<tr class=\"spike\" data-latency=\"{I(s.LatencyNs)}\" data-time=\"{I(s.TimestampNs)}\" data-cause=\"{E(s.Cause)}\">")
              .Append($"<td data-v=\"{I(s.TimestampNs)}\">{E(Clock(s.TimestampNs)[11..])}</td><td>{E(s.Comm)} {E(s.Pid)}</td><td>{E(s.Allocator)} {E(s.Op)}</td>")
              .Append($"<td data-v=\"{I(s.Size)}\" class=\"num\">{Bytes(s.Size)}</td><td data-v=\"{I(s.LatencyNs)}\" class=\"num\">{Latency(s.LatencyNs)}</td>")
              .Append($"<td>{E(s.Cause.Replace('_', ' '))}</td><td>{E(parts)}</td><td class=\"stack\">{E(string.Join(" <- ", s.Stack.Split(';', StringSplitOptions.RemoveEmptyEntries).Reverse()))}</td></tr>");
        }
        sb.Append("</tbody></table>");
    }

    /// <summary>Where slow calls come from: spike stacks merged, each frame as wide as the slow-call time below it.</summary>
    private static void Flame(StringBuilder sb, ReportData d)
    {
        sb.Append("<h2 id=\"flame-title\">Where slow calls come from</h2>");
        var flame = new FlameGraph();
        foreach (var s in d.Spikes)
            flame.Add(s.Stack, s.LatencyNs);
        if (flame.Stacks == 0)
        {
            sb.Append("<p class=\"note\" id=\"no-flame\">No slow call, so no stack.</p>");
            return;
        }
        const double W = 1100, RowH = 17;
        double H = RowH * flame.Depth + 4;
        sb.Append($"<svg id=\"flamegraph\" viewBox=\"0 0 {N(W)} {N(H)}\" width=\"{N(W)}\" height=\"{N(H)}\" role=\"img\" data-stacks=\"{flame.Stacks}\" data-total=\"{I(flame.Root.Weight)}\">");
        void Draw(FlameGraph.Frame f, double x, double w, int depth)
        {
            double y = H - (depth + 1) * RowH;
            sb.Append($"<g class=\"frame\" data-name=\"{E(f.Name)}\" data-weight=\"{I(f.Weight)}\"><rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(Math.Max(0.5, w - 0.5))}\" height=\"{N(RowH - 1)}\" fill=\"{(depth == 0 ? "#c8c8c8" : Warm(f.Name))}\" rx=\"2\"><title>{E(f.Name)}: {Latency(f.Weight)} of slow calls ({N(100.0 * f.Weight / flame.Root.Weight)}%)</title></rect>");
            if (w > 40)
            {
                int chars = (int)(w / 7);
                string label = f.Name.Length > chars ? f.Name[..Math.Max(1, chars - 2)] + ".." : f.Name;
                Text(sb, x + 3, y + RowH - 5, label, "frame-label");
            }
            sb.Append("</g>");
            double cx = x;
            foreach (var c in f.Children.OrderByDescending(c => c.Weight))
            {
                double cw = w * c.Weight / f.Weight;
                Draw(c, cx, cw, depth + 1);
                cx += cw;
            }
        }
        Draw(flame.Root, 0, W, 0);
        sb.Append("</svg>");
    }

    private const string Css = """
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}
        h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
        .meta,.note{color:#555}.grid{display:flex;flex-wrap:wrap;gap:12px}
        figure.chart{margin:0;border:1px solid #e4e4e4;border-radius:4px}
        table{border-collapse:collapse;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
        th{background:#f5f5f5;cursor:default}th[data-sort]{cursor:pointer}td.num{text-align:right;white-space:nowrap}
        td.stack{font-family:ui-monospace,monospace;font-size:12px}
        svg text{font:11px system-ui,sans-serif;fill:#333}svg text.title{font-weight:600;font-size:12px}
        svg text.axis,svg text.legend{fill:#666}svg line.grid{stroke:#eee}
        svg text.frame-label{font:11px ui-monospace,monospace;fill:#111;pointer-events:none}
        """;

    // Sorting the spike table by a numeric column; the page is complete without it.
    private const string Script = """
        (function () {
          var table = document.getElementById('spike-table');
          if (table) {
            table.querySelectorAll('th[data-sort]').forEach(function (th) {
              th.addEventListener('click', function () {
                var col = Array.prototype.indexOf.call(th.parentNode.children, th);
                var body = table.tBodies[0];
                var rows = Array.prototype.slice.call(body.rows);
                var desc = th.dataset.dir !== 'desc';
                rows.sort(function (a, b) {
                  var x = Number(a.cells[col].dataset.v), y = Number(b.cells[col].dataset.v);
                  return desc ? y - x : x - y;
                });
                rows.forEach(function (r) { body.appendChild(r); });
                th.dataset.dir = desc ? 'desc' : 'asc';
              });
            });
          }
          document.body.dataset.charts = String(document.querySelectorAll('svg').length);
          document.body.dataset.ready = 'true';
        })();
        """;
}
