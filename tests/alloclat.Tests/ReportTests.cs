using System.Text.RegularExpressions;
using System.Xml.Linq;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>
/// <c>alloclat report</c> on a real recorded run (the C demo with its slow 256 MiB mappings and the Go demo with GC
/// pauses), opened in real headless Chromium: no console message, the plots in the DOM, and every plotted number
/// found in the .lp file it came from.
/// </summary>
public class ReportTests
{
    private static readonly string[] s_chromiumFlags =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--enable-logging=stderr", "--v=0"];

    private static (int Exit, string Stdout, string Stderr) Chromium(params string[] args)
    {
        string profile = Directory.CreateTempSubdirectory("alloclat-chromium-").FullName;
        var p = CapturedProcess.Start("chromium", [.. s_chromiumFlags, $"--user-data-dir={profile}", .. args]);
        return p.Wait(TimeSpan.FromMinutes(2));
    }

    private static string Record()
    {
        string output = Cli.TempOutput("run.lp");
        string demo = Cli.Demo, go = Path.Combine(Cli.Root, "build/demo/go_demo");
        var r = Cli.Run(["record", "-q", "--spike-threshold", "2ms", "-o", output, "--", "sh", "-c", $"{demo} 3 & {go} 3; wait"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return output;
    }

    [Fact]
    public void TheReportLoadsInChromiumAndShowsTheNumbersOfItsInput()
    {
        string lp = Record();
        var points = LineProtocolFile.Read(lp);
        var latency = points.Where(p => p.Measurement == "alloc_latency").ToList();
        var spikes = points.Where(p => p.Measurement == "alloc_spike").ToList();
        Assert.NotEmpty(latency);
        Assert.NotEmpty(spikes);
        Assert.Contains(points, p => p.Measurement == "gc_pause");

        string dir = Directory.CreateTempSubdirectory("alloclat-report-").FullName;
        string html = Path.Combine(dir, "report.html"), png = Path.Combine(dir, "png");
        var r = Cli.Run(["report", lp, "-o", html, "--png", png]);
        Assert.True(r.ExitCode == 0, r.ToString());

        // Self-contained: nothing to fetch.
        string page = File.ReadAllText(html);
        Assert.DoesNotMatch(@"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/|<script[^>]+src=|<link[^>]+href=|url\(", page);

        var (exit, dom, log) = Chromium("--dump-dom", new Uri(html).AbsoluteUri);
        Assert.Equal(0, exit);
        Assert.DoesNotContain(":CONSOLE", log);
        // The DOM as Chromium serialises it after the page ran; HTML's void <meta> closed so it parses as XML.
        var doc = XDocument.Parse(Regex.Replace(dom.Replace("<!DOCTYPE html>", ""), "<meta([^>]*[^/])>", "<meta$1/>"));
        var all = doc.Descendants().ToList();
        var body = all.Single(e => e.Name.LocalName == "body");
        Assert.Equal("true", (string?)body.Attribute("data-ready"));

        // One chart per series (up to 24), each line's values those of one series of the input, interval by interval.
        var bySeries = latency.Concat(points.Where(p => p.Measurement == "gc_pause"))
            .GroupBy(p => p.Measurement + "|" + string.Join(",", p.Tags.Where(t => t.Key != "host").OrderBy(t => t.Key).Select(t => $"{t.Key}={t.Value}")))
            .Select(g => g.OrderBy(p => p.Timestamp).ToList()).ToList();
        var charts = all.Where(e => e.Name.LocalName == "svg" && ((string?)e.Attribute("class")) is "series-chart" or "gc-chart").ToList();
        int alloclatSeries = bySeries.Count(s => s[0].Measurement == "alloc_latency");
        Assert.Equal(Math.Min(24, alloclatSeries) + Math.Min(24, bySeries.Count - alloclatSeries), charts.Count);
        foreach (var chart in charts)
        {
            var times = ((string)chart.Attribute("data-times")!).Split(' ').Select(long.Parse).ToList();
            var lines = chart.Elements().Where(e => e.Name.LocalName == "polyline")
                .ToDictionary(e => ((string)e.Attribute("class")!).Split(' ')[1], e => ((string)e.Attribute("data-values")!).Split(' ').Select(long.Parse).ToList());
            Assert.Equal(["p50", "p99", "p999", "max"], lines.Keys);
            Assert.Contains(bySeries, s => s.Select(p => p.Timestamp).SequenceEqual(times)
                && lines.All(l => s.Select(p => p[l.Key]).SequenceEqual(l.Value)));
        }

        // The series table holds every series with its total count and worst values.
        var rows = all.Where(e => e.Name.LocalName == "tr" && e.Attribute("data-count") is not null).ToList();
        Assert.Equal(bySeries.Count, rows.Count);
        Assert.Equal(bySeries.Sum(s => s.Sum(p => p["count"])), rows.Sum(e => (long)e.Attribute("data-count")!));
        Assert.Equal(bySeries.Max(s => s.Max(p => p["max"])), rows.Max(e => (long)e.Attribute("data-max")!));

        // Heatmap: one cell per size class and interval that had calls, coloured by the worst p99.9 there.
        var cells = all.Where(e => e.Name.LocalName == "rect" && (string?)e.Attribute("class") == "cell").ToList();
        var expected = latency.GroupBy(p => (p.Tag("size_class"), p.Timestamp)).ToDictionary(g => g.Key, g => (P999: g.Max(p => p["p999"]), Count: g.Sum(p => p["count"])));
        Assert.Equal(expected.Count, cells.Count);
        Assert.All(cells, c => Assert.Equal(expected[((string)c.Attribute("data-size-class")!, (long)c.Attribute("data-time")!)],
            ((long)c.Attribute("data-p999")!, (long)c.Attribute("data-count")!)));

        // Spike table and flame graph: every slow call, its latency, and their total.
        var spikeRows = all.Where(e => e.Name.LocalName == "tr" && (string?)e.Attribute("class") == "spike").ToList();
        Assert.Equal(spikes.Select(s => s["latency"]).Order(), spikeRows.Select(e => (long)e.Attribute("data-latency")!).Order());
        Assert.Equal(spikes.Select(s => s.Tag("cause")).Order(), spikeRows.Select(e => (string)e.Attribute("data-cause")!).Order());
        var flame = all.Single(e => e.Name.LocalName == "svg" && (string?)e.Attribute("id") == "flamegraph");
        Assert.Equal(spikes.Count, (int)flame.Attribute("data-stacks")!);
        Assert.Equal(spikes.Sum(s => s["latency"]), (long)flame.Attribute("data-total")!);
        var frames = flame.Descendants().Select(e => (string?)e.Attribute("data-name")).Where(n => n is not null).ToHashSet();
        foreach (var stack in spikes.Select(s => s.Texts["stack"]).Where(t => t.Length > 0))
        {
            string leaf = stack.Split(';')[^1];
            Assert.Contains(leaf.StartsWith('[') ? leaf : Regex.Replace(leaf, @"\+0x[0-9a-f]+$", ""), frames);
        }

        // A screenshot a person can look at, and the same plots as PNG files.
        string shot = Path.Combine(dir, "report.png");
        var (shotExit, _, shotLog) = Chromium("--window-size=1280,4000", $"--screenshot={shot}", new Uri(html).AbsoluteUri);
        Assert.Equal(0, shotExit);
        Assert.DoesNotContain(":CONSOLE", shotLog);
        Assert.True(new FileInfo(shot).Length > 50_000, "the screenshot is nearly empty");
        var pngs = Directory.GetFiles(png, "*.png");
        Assert.Equal(charts.Count + 2, pngs.Length);
        Assert.All(pngs, f => Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(f)[..4]));
        File.Copy(shot, Path.Combine(Path.GetTempPath(), "alloclat-report-screenshot.png"), overwrite: true);
    }

    [Theory]
    [InlineData(new string[0], "[ERROR] give the line-protocol file to report on: alloclat report FILE.lp")]
    [InlineData(new[] { "/nonexistent/run.lp" }, "[ERROR] cannot read /nonexistent/run.lp:")]
    [InlineData(new[] { "a.lp", "--frob" }, "[ERROR] unknown option --frob (see 'alloclat report --help')")]
    public void BadInputIsOneLine(string[] args, string message)
    {
        var r = InProcessCli.Run(["report", .. args]);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith(message, r.Stderr.Trim());
        Assert.DoesNotContain('\n', r.Stderr.Trim());
    }

    [Fact]
    public void AMalformedLineIsNamed()
    {
        string lp = Cli.TempOutput("bad.lp");
        File.WriteAllText(lp, "alloc_latency,comm=a count=1i,p50=1i 1\nalloc_latency,comm=a count=\n");
        var r = InProcessCli.Run(["report", lp]);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith($"[ERROR] {lp}: line 2: ", r.Stderr.Trim());
    }
}
