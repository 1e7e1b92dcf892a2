using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Alloclat.Bench;

/// <summary>A child process whose output lines are collected as they come, so a tool's readiness line can be awaited.</summary>
sealed class Proc : IDisposable
{
    readonly Process _p;
    readonly List<string> _out = new();
    readonly List<string> _err = new();
    readonly object _gate = new();

    public int Pid => _p.Id;
    public DateTime Started { get; }

    Proc(Process p, DateTime started)
    {
        _p = p;
        Started = started;
    }

    public static Proc Start(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, bool hold = false)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        if (env is not null)
            foreach (var (k, v) in env)
                psi.Environment[k] = v;
        if (hold)
            psi.Environment["BENCH_HOLD"] = "1";
        var p = new Process { StartInfo = psi };
        var started = DateTime.UtcNow;
        p.Start();
        var proc = new Proc(p, started);
        p.OutputDataReceived += (_, e) => proc.Add(proc._out, e.Data);
        p.ErrorDataReceived += (_, e) => proc.Add(proc._err, e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return proc;
    }

    void Add(List<string> list, string? line)
    {
        if (line is null)
            return;
        lock (_gate)
        {
            list.Add(line);
            Monitor.PulseAll(_gate);
        }
    }

    public string[] Out { get { lock (_gate) return _out.ToArray(); } }
    public string[] Err { get { lock (_gate) return _err.ToArray(); } }
    public string AllOutput => string.Join('\n', Out.Concat(Err));

    /// <summary>Waits for a line on either stream; false if the process ended or the time ran out first.</summary>
    public bool WaitForLine(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_gate)
        {
            while (true)
            {
                if (_out.Any(match) || _err.Any(match))
                    return true;
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || _p.HasExited)
                    return false;
                Monitor.Wait(_gate, left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100));
            }
        }
    }

    public void Release()
    {
        _p.StandardInput.WriteLine();
        _p.StandardInput.Flush();
    }

    public bool HasExited => _p.HasExited;

    public int Wait(TimeSpan timeout)
    {
        if (!_p.WaitForExit(timeout))
        {
            _p.Kill(true);
            _p.WaitForExit();
            throw new BenchException($"{_p.StartInfo.FileName} did not finish within {timeout.TotalSeconds:0}s");
        }
        _p.WaitForExit();
        return _p.ExitCode;
    }

    public int ExitCode => _p.ExitCode;

    public void Interrupt()
    {
        if (!_p.HasExited)
            kill(_p.Id, 2);
    }

    public void Dispose()
    {
        try
        {
            if (!_p.HasExited)
            {
                _p.Kill(true);
                _p.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _p.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int sig);
}

sealed class BenchException(string message) : Exception(message);
