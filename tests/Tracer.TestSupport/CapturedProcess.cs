using System.Diagnostics;
using System.Text;

namespace Tracer.TestSupport;

/// <summary>A program started with its standard output and error captured, waited for with a deadline.</summary>
public sealed class CapturedProcess
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private CapturedProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public static CapturedProcess Start(string file, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = Path.GetTempPath() };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        if (env is not null)
            foreach (var (k, v) in env)
                psi.Environment[k] = v;
        return Start(psi);
    }

    /// <summary>Starts <paramref name="psi"/> (its file, arguments, directory and environment) with its output captured.</summary>
    public static CapturedProcess Start(ProcessStartInfo psi)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        var captured = new CapturedProcess(new Process { StartInfo = psi });
        var p = captured._process;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (captured._stdout) captured._stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (captured._stderr) captured._stderr.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return captured;
    }

    /// <summary>SIGKILL: the program gets no chance to clean up (a crash, as far as it is concerned).</summary>
    public void Kill() => _process.Kill();

    /// <summary>Sends a signal (SIGTERM = 15, SIGINT = 2) for an orderly stop.</summary>
    public void Signal(int signal) => Process.Start("kill", [$"-{signal}", Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    /// <summary>What the program has written to standard output so far.</summary>
    public string StdoutSoFar
    {
        get { lock (_stdout) return _stdout.ToString(); }
    }

    /// <summary>What the program has written to standard error so far.</summary>
    public string StderrSoFar
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>Waits for the exit; past <paramref name="timeout"/> kills the program and its children and throws.</summary>
    public (int ExitCode, string Stdout, string Stderr) Wait(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            throw new TimeoutException($"{Path.GetFileName(_process.StartInfo.FileName)} did not finish within {timeout}:\n{StderrSoFar}");
        }
        // The parameterless wait also waits for the output to be read to its end.
        _process.WaitForExit();
        lock (_stdout)
            return (_process.ExitCode, _stdout.ToString(), StderrSoFar);
    }
}
