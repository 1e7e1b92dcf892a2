using ScottPlot;
using Tracer.Core;

namespace Alloclat.Cli.Report;

/// <summary>The report's plots as PNG files (ScottPlot): one per charted series, the heatmap, the flame graph.</summary>
public static class PngReport
{
    private static readonly (string Field, string Colour, string Name)[] s_lines =
        [("p50", "#4c9be8", "p50"), ("p99", "#e8a33c", "p99"), ("p999", "#d9453b", "p99.9"), ("max", "#7a3da8", "max")];

    public static IReadOnlyList<string> Write(ReportData d, string dir)
    {
        var files = new List<string>();
        int n = 0;
        foreach (var s in d.Latency.Take(HtmlReport.MaxSeriesCharts).Concat(d.GcPauses.Take(HtmlReport.MaxSeriesCharts)))
        {
            string prefix = s.Measurement == Schema.Measurements.GcPause ? "gc" : "series";
            string path = Path.Combine(dir, $"{prefix}-{++n:D2}-{Safe(s.Label)}.png");
            SeriesChart(s, d.Times.Count > 0 ? d.Times[0] : 0, path);
            files.Add(path);
        }
        if (d.Heatmap.Count > 0 && d.Times.Count > 0)
        {
            string path = Path.Combine(dir, "heatmap.png");
            Heatmap(d, path);
            files.Add(path);
        }
        var flame = new FlameGraph();
        foreach (var s in d.Spikes)
            flame.Add(s.Stack, s.LatencyNs);
        if (flame.Stacks > 0)
        {
            string path = Path.Combine(dir, "flamegraph.png");
            Flame(flame, path);
            files.Add(path);
        }
        return files;
    }

    private static string Safe(string label) =>
        new string(label.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray()) is var s && s.Length > 60 ? s[..60] : s;

    /// <summary>Latency on a log axis: log10 of the values plotted, ticks labelled in time units.</summary>
    private static void LogLatencyTicks(Plot plot, double lo, double hi)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (double e = lo; e <= hi; e++)
            ticks.AddMajor(e, Svg.Latency((long)Math.Pow(10, e)));
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.SetLimitsY(lo, hi);
    }

    private static void SeriesChart(SeriesData s, long t0, string path)
    {
        var plot = new Plot();
        double[] xs = s.Intervals.Select(v => (v.TimestampNs - t0) / 1e9).ToArray();
        foreach (var (field, colour, name) in s_lines)
        {
            double[] ys = s.Intervals.Select(v => Math.Log10(Math.Max(1, field switch { "p50" => v.P50, "p99" => v.P99, "p999" => v.P999, _ => v.Max }))).ToArray();
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = name;
            line.Color = Color.FromHex(colour);
            line.LineWidth = 2;
            line.MarkerSize = 4;
        }
        var (lo, hi) = Svg.LogRange(s.Intervals.Where(v => v.P50 > 0).Select(v => v.P50).DefaultIfEmpty(1).Min(), s.Max);
        LogLatencyTicks(plot, lo, hi);
        plot.Title(s.Measurement == Schema.Measurements.GcPause ? "GC pause " + s.Label : s.Label);
        plot.XLabel("seconds");
        plot.YLabel("latency");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 900, 360);
    }

    private static void Heatmap(ReportData d, string path)
    {
        var values = new double[d.Heatmap.Count, d.Times.Count];
        for (int r = 0; r < d.Heatmap.Count; r++)
        {
            for (int t = 0; t < d.Times.Count; t++)
                values[r, t] = double.NaN;
            foreach (var (t, p999, _) in d.Heatmap[r].Cells)
                values[r, t] = Math.Log10(Math.Max(1, p999));
        }
        // Row 0 of the array is drawn at the top: put the largest size class there.
        var flipped = new double[d.Heatmap.Count, d.Times.Count];
        for (int r = 0; r < d.Heatmap.Count; r++)
            for (int t = 0; t < d.Times.Count; t++)
                flipped[d.Heatmap.Count - 1 - r, t] = values[r, t];
        var plot = new Plot();
        var heat = plot.Add.Heatmap(flipped);
        heat.Colormap = new ScottPlot.Colormaps.Turbo();
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int r = 0; r < d.Heatmap.Count; r++)
            ticks.AddMajor(r, d.Heatmap[r].SizeClass);
        plot.Axes.Left.TickGenerator = ticks;
        plot.Add.ColorBar(heat).Label = "log10 p99.9 (ns)";
        plot.Title("Worst p99.9 by size class and interval");
        plot.XLabel("interval");
        plot.SavePng(path, 1000, 120 + 30 * d.Heatmap.Count);
    }

    private static void Flame(FlameGraph flame, string path)
    {
        var plot = new Plot();
        double total = flame.Root.Weight;
        void Draw(FlameGraph.Frame f, double x, double w, int depth)
        {
            var rect = plot.Add.Rectangle(x, x + w, depth, depth + 0.95);
            rect.FillColor = Color.FromHex(depth == 0 ? "#c8c8c8" : Hex(Svg.Warm(f.Name)));
            rect.LineWidth = 0;
            if (w > total * 0.06)
            {
                var text = plot.Add.Text(f.Name.Length > 40 ? f.Name[..38] + ".." : f.Name, x + total * 0.003, depth + 0.5);
                text.LabelFontSize = 11;
                text.LabelAlignment = Alignment.MiddleLeft;
            }
            double cx = x;
            foreach (var c in f.Children.OrderByDescending(c => c.Weight))
            {
                double cw = w * c.Weight / f.Weight;
                Draw(c, cx, cw, depth + 1);
                cx += cw;
            }
        }
        Draw(flame.Root, 0, total, 0);
        plot.Axes.SetLimits(0, total, 0, flame.Depth);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual();
        plot.Title($"Where slow calls come from ({flame.Stacks} slow calls, {Svg.Latency(flame.Root.Weight)})");
        plot.SavePng(path, 1200, 80 + 24 * flame.Depth);
    }

    private static string Hex(string rgb)
    {
        var parts = rgb[4..^1].Split(',').Select(int.Parse).ToArray();
        return $"#{parts[0]:x2}{parts[1]:x2}{parts[2]:x2}";
    }
}
