using System.Globalization;
using System.Text.Json.Nodes;
using Alloclat.Bench;

sealed partial class BenchRun
{
    /// <summary>
    /// The demo's slow calls as alloclat explains them: `alloc_demo` maps 64-256 MiB with MAP_POPULATE now and then, and
    /// each such call is a spike whose cause should be page population, with one fault per page populated.
    /// </summary>
    JsonArray DemoSpikes()
    {
        Log("demo: populated mappings as spikes");
        var demo = Path.GetFullPath(Path.Combine(Build, "demo", "alloc_demo"));
        var lp = TempFile("lp");
        using var a = Proc.Start(AlloclatPath, ["record", "-q", "-o", lp, "--", demo, Quick ? "4" : "10"]);
        if (a.Wait(RunTimeout).ExitCode != 0)
            throw new BenchException($"alloclat on the demo failed (exit {a.ExitCode}):\n{Tracer.Tail(a.AllOutput())}");
        var spikes = LineProtocol.Read(lp).Where(p => p.Measurement == "alloc_spike" && p.Tag("op") == "mmap" && p.Field("size") >= 64L << 20).ToList();
        File.Delete(lp);
        if (spikes.Count == 0)
            throw new BenchException("the demo's populated mappings gave no alloc_spike point");
        var rows = new JsonArray();
        _table.Add("Demo: populated mappings (MAP_POPULATE) reported as spikes");
        foreach (var p in spikes)
        {
            long pages = p.Field("size") / Environment.SystemPageSize;
            rows.Add(new JsonObject
            {
                ["size_mib"] = p.Field("size") >> 20,
                ["latency_ms"] = Math.Round(p.Field("latency") / 1e6, 1),
                ["cause"] = p.Tag("cause"),
                ["faults"] = p.Field("faults"),
                ["pages"] = pages,
                ["on_cpu_ms"] = Math.Round(p.Field("on_cpu_ns") / 1e6, 1),
                ["off_cpu_ms"] = Math.Round(p.Field("off_cpu_ns") / 1e6, 1),
            });
            _table.Add($"  {p.Field("size") >> 20,4} MiB  {p.Field("latency") / 1e6,7:0.0} ms  cause={p.Tag("cause"),-16} faults {p.Field("faults"),7} of {pages} pages");
        }
        _table.Add("");
        return rows;
    }

    /// <summary>Section 9 of BENCHMARKS.md.</summary>
    string DemoSpikesMarkdown()
    {
        if (_results["demo_spikes"] is not JsonArray rows)
            return "";
        var sb = new System.Text.StringBuilder();
        sb.Append("\n## 9. The demo's slow calls: what the kernel was doing\n\n" +
                  "`demo/alloc_demo` (what `make run` traces) maps 64-256 MiB with `MAP_POPULATE` now and then. Each is reported as " +
                  "an `alloc_spike` (default threshold 5 ms) whose cause tag and fault count come from the calling thread's own " +
                  "counters at the call's entry and return: populating a mapping takes one minor fault per page, so *faults* " +
                  "should equal *pages* (size / page size).\n\n" +
                  "| size (MiB) | latency (ms) | cause | faults | pages | on CPU (ms) | off CPU (ms) |\n| ---: | ---: | --- | ---: | ---: | ---: | ---: |\n");
        foreach (var r in rows)
            sb.Append($"| {r!["size_mib"]} | {r["latency_ms"]} | {r["cause"]} | {r["faults"]} | {r["pages"]} | {r["on_cpu_ms"]} | {r["off_cpu_ms"]} |\n");
        return sb.ToString();
    }
}
