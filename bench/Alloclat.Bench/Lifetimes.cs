using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Alloclat.Bench;

sealed partial class BenchRun
{
    /// <summary>
    /// A binary traced with --precise while a shell starts it N times (each start probed at exec, each exit
    /// releasing its probes): how long alloclat takes to exit on SIGTERM afterwards, against the same run with no
    /// start at all, and its RSS and link descriptors before and after.
    /// </summary>
    JsonArray Lifetimes()
    {
        var rows = new JsonArray();
        string dir = Path.Combine(_temp, "lifetimes");
        Directory.CreateDirectory(dir);
        string program = Path.Combine(dir, "lifetime_true");
        File.Copy("/bin/true", program, overwrite: true);
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _table.Add("Process lifetimes under --precise --binary: exit on SIGTERM afterwards");
        _table.Add($"  {"starts",8} {"exit (s)",10} {"ratio",8} {"RSS before→after (MB)",24} {"link fds before→after",24}");
        double? baseline = null;
        foreach (int starts in new[] { 0, Quick ? 100 : 300 })
        {
            Log($"lifetimes: {starts} starts under alloclat --precise --binary");
            using var a = Proc.Start(AlloclatPath, ["record", "-q", "--precise", "-o", TempFile("lp"), "--binary", program]);
            if (!a.WaitForLine(l => l.Contains("[INFO] tracing ", StringComparison.Ordinal), TimeSpan.FromSeconds(60)))
                throw new BenchException($"alloclat did not start tracing: {a.AllOutput()}");
            long rss0 = RssKb(a.Id);
            int fds0 = LinkFds(a.Id);
            var loop = Stopwatch.StartNew();
            using (var sh = Proc.Start("/bin/sh", ["-c", $"i=0; while [ $i -lt {starts} ]; do \"$0\"; i=$((i+1)); done", program]))
                sh.Wait(TimeSpan.FromMinutes(10));
            double loopS = loop.Elapsed.TotalSeconds;
            long rss1 = RssKb(a.Id);
            int fds1 = LinkFds(a.Id);
            var exit = Stopwatch.StartNew();
            kill(a.Id, 15);
            a.Wait(TimeSpan.FromMinutes(10));
            double exitS = exit.Elapsed.TotalSeconds;
            baseline ??= exitS;
            double ratio = exitS / baseline.Value;
            rows.Add(new JsonObject
            {
                ["starts"] = starts,
                ["loop_s"] = Math.Round(loopS, 2),
                ["exit_s"] = Math.Round(exitS, 2),
                ["exit_ratio_to_no_starts"] = Math.Round(ratio, 2),
                ["rss_mb_before"] = Math.Round(rss0 / 1024.0, 1),
                ["rss_mb_after"] = Math.Round(rss1 / 1024.0, 1),
                ["link_fds_before"] = fds0,
                ["link_fds_after"] = fds1,
            });
            _table.Add($"  {starts,8} {exitS,10:0.00} {ratio,8:0.00} {$"{rss0 / 1024.0:0.0}→{rss1 / 1024.0:0.0}",24} {$"{fds0}→{fds1}",24}");
        }
        return rows;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    static long RssKb(int pid) => long.Parse(File.ReadLines($"/proc/{pid}/status")
        .First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    static int LinkFds(int pid) => Directory.EnumerateFiles($"/proc/{pid}/fd")
        .Select(fd => { try { return new FileInfo(fd).LinkTarget ?? ""; } catch (IOException) { return ""; } })
        .Count(t => t.StartsWith("anon_inode:[perf_event]", StringComparison.Ordinal) || t.StartsWith("anon_inode:bpf_link", StringComparison.Ordinal));
}
