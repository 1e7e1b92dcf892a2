using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Alloclat.Bench;

sealed partial class BenchRun
{
    /// <summary>Minutes the soak runs (30; --soak-minutes to change it, 3 with --quick).</summary>
    int SoakMinutes => _soakMinutes ?? (Quick ? 3 : 30);

    /// <summary>
    /// `--all` for <see cref="SoakMinutes"/> minutes while a shell starts short-lived processes at about 30 a second
    /// (bounded in count): alloclat's RSS each minute, and at 1, 10 and 30 minutes against the first minute's. What
    /// is kept per process must go with the process, so RSS follows the processes alive, not those that ever ran.
    /// </summary>
    JsonObject Soak()
    {
        int minutes = SoakMinutes;
        string output = TempFile("lp");
        Log($"soak: alloclat record --all for {minutes} min with process churn");
        using var a = Proc.Start(AlloclatPath, ["record", "--all", "-q", "-o", output]);
        if (!a.WaitForLine(l => l.Contains("[INFO] tracing ", StringComparison.Ordinal), TimeSpan.FromSeconds(60)))
            throw new BenchException($"alloclat did not start tracing: {a.AllOutput()}");
        // Each round starts two processes (true, then sleep's pause); the count bounds the loop if the clock does not.
        int rounds = minutes * 60 * 15;
        string counter = TempFile("count");
        using var churn = Proc.Start("/bin/sh", ["-c", $"i=0; while [ $i -lt {rounds} ]; do /bin/true; sleep 0.066; i=$((i+1)); echo $i > \"$0\"; done", counter]);
        var clock = Stopwatch.StartNew();
        var perMinute = new JsonArray();
        var rss = new List<double>();
        for (int m = 1; m <= minutes; m++)
        {
            var until = TimeSpan.FromMinutes(m);
            while (clock.Elapsed < until && !a.HasExited)
                Thread.Sleep(TimeSpan.FromSeconds(1));
            if (a.HasExited)
                throw new BenchException($"alloclat ended during the soak (exit {a.ExitCode}): {a.AllOutput()}");
            double mb = RssKb(a.Id) / 1024.0;
            rss.Add(mb);
            perMinute.Add(Math.Round(mb, 1));
            Log($"soak: minute {m}: RSS {mb:0.0} MB");
        }
        churn.Dispose();
        int started = 2 * (int.TryParse(File.Exists(counter) ? File.ReadAllText(counter).Trim() : "", NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : 0);
        var exit = Stopwatch.StartNew();
        kill(a.Id, 15);
        a.Wait(TimeSpan.FromMinutes(5));
        double exitS = exit.Elapsed.TotalSeconds;
        try
        {
            File.Delete(output);
        }
        catch (IOException)
        {
        }

        double At(int minute) => rss[Math.Min(minute, rss.Count) - 1];
        double first = At(1), ten = At(10), last = rss[^1];
        double spread = (new[] { first, ten, last }.Max() - new[] { first, ten, last }.Min()) / first;
        _table.Add($"Soak: --all for {minutes} min, {started} processes started (about {started / (minutes * 60.0):0} a second)");
        _table.Add($"  RSS at 1 min {first:0.0} MB, at 10 min {ten:0.0} MB, at {rss.Count} min {last:0.0} MB; spread {spread * 100:0.0} % (goal: within 10 %); exit after SIGTERM {exitS:0.00} s");
        return new JsonObject
        {
            ["minutes"] = minutes,
            ["processes_started"] = started,
            ["rss_mb_per_minute"] = perMinute,
            ["rss_mb_1_min"] = Math.Round(first, 1),
            ["rss_mb_10_min"] = Math.Round(ten, 1),
            ["rss_mb_last"] = Math.Round(last, 1),
            ["spread_percent"] = Math.Round(spread * 100, 1),
            ["exit_s"] = Math.Round(exitS, 2),
        };
    }
}
