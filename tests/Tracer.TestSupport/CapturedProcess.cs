using System.Diagnostics;
using System.Globalization;

namespace Tracer.TestSupport;

/// <summary>
/// The one way the tests and the bench start a program: its standard output and error captured line by line as they
/// come, its standard input a pipe when asked for, every wait with a deadline, and the program (with its children)
/// killed on dispose if it still runs, so a failed assertion leaves nothing behind.
/// </summary>
public sealed class CapturedProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly int? _keepLines;
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CapturedProcess(Process process, int? keepLines)
    {
        _process = process;
        _keepLines = keepLines;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once the program has exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>The program's file name as started, for messages.</summary>
    public string FileName => _process.StartInfo.FileName;

    /// <summary>
    /// Starts <paramref name="file"/> in the temporary directory (or <paramref name="workingDirectory"/>), with
    /// <paramref name="env"/> added to the environment; with <paramref name="input"/> its standard input is a pipe
    /// (<see cref="WriteLine"/>, <see cref="CloseInput"/>), otherwise it is the test host's.
    /// </summary>
    public static CapturedProcess Start(string file, IEnumerable<string> args, IDictionary<string, string>? env = null,
        string? workingDirectory = null, bool input = false)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory ?? Path.GetTempPath(), RedirectStandardInput = input };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        if (env is not null)
            foreach (var (k, v) in env)
                psi.Environment[k] = v;
        return Start(psi);
    }

    /// <summary>
    /// Starts <paramref name="psi"/> (its file, arguments, directory, environment and whether standard input is a
    /// pipe) with its output captured; with <paramref name="keepLines"/> only the last that many lines of each stream
    /// are kept (a server that runs for minutes).
    /// </summary>
    public static CapturedProcess Start(ProcessStartInfo psi, int? keepLines = null)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        var captured = new CapturedProcess(new Process { StartInfo = psi }, keepLines);
        var p = captured._process;
        p.OutputDataReceived += (_, e) => captured.Add(captured._stdout, captured._stdoutClosed, e.Data);
        p.ErrorDataReceived += (_, e) => captured.Add(captured._stderr, captured._stderrClosed, e.Data);
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return captured;
    }

    private void Add(List<string> lines, TaskCompletionSource closed, string? line)
    {
        lock (_stdout)
        {
            if (line is null)
            {
                closed.TrySetResult();
            }
            else
            {
                lines.Add(line);
                if (_keepLines is { } keep && lines.Count > keep)
                    lines.RemoveRange(0, lines.Count - keep);
            }
            Monitor.PulseAll(_stdout);
        }
    }

    /// <summary>SIGKILL: the program gets no chance to clean up (a crash, as far as it is concerned).</summary>
    public void Kill() => _process.Kill();

    /// <summary>SIGKILL to the program and all its descendants.</summary>
    public void KillTree() => _process.Kill(entireProcessTree: true);

    /// <summary>Sends a signal (SIGTERM = 15, SIGINT = 2) for an orderly stop; nothing happens if the program has already exited.</summary>
    public void Signal(int signal) =>
        ProcessRunner.Run("kill", [$"-{signal.ToString(CultureInfo.InvariantCulture)}", Id.ToString(CultureInfo.InvariantCulture)], timeoutSeconds: 10, check: false);

    /// <summary>Writes a line to the program's standard input (started with <c>input: true</c>).</summary>
    public void WriteLine(string line = "")
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Closes the program's standard input: it reads end of file.</summary>
    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>What the program has written to standard output so far.</summary>
    public string StdoutSoFar => Text(_stdout);

    /// <summary>What the program has written to standard error so far.</summary>
    public string StderrSoFar => Text(_stderr);

    /// <summary>The lines of standard output so far.</summary>
    public IReadOnlyList<string> StdoutLines
    {
        get { lock (_stdout) return _stdout.ToArray(); }
    }

    /// <summary>The lines of standard error so far.</summary>
    public IReadOnlyList<string> StderrLines
    {
        get { lock (_stdout) return _stderr.ToArray(); }
    }

    private string Text(List<string> lines)
    {
        lock (_stdout)
            return string.Concat(lines.Select(l => l + "\n"));
    }

    /// <summary>
    /// Waits for a line on either stream that <paramref name="match"/> accepts; false if the program ended without
    /// one, or the time ran out first.
    /// </summary>
    public bool WaitForLine(Func<string, bool> match, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        lock (_stdout)
        {
            while (true)
            {
                if (_stdout.Any(match) || _stderr.Any(match))
                    return true;
                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero || (_stdoutClosed.Task.IsCompleted && _stderrClosed.Task.IsCompleted))
                    return false;
                Monitor.Wait(_stdout, left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100));
            }
        }
    }

    /// <summary>
    /// The line of standard output at <paramref name="index"/> (from 0), once written; throws when the program ends
    /// without writing it or <paramref name="timeout"/> passes.
    /// </summary>
    public string StdoutLine(int index, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        lock (_stdout)
        {
            while (_stdout.Count <= index)
            {
                if (_stdoutClosed.Task.IsCompleted)
                    throw new InvalidOperationException($"{Path.GetFileName(FileName)} closed its output after {_stdout.Count} lines, before line {index + 1}:\n{Text(_stderr)}");
                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                    throw new TimeoutException($"{Path.GetFileName(FileName)} wrote no line {index + 1} within {timeout}:\n{Text(_stderr)}");
                Monitor.Wait(_stdout, left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100));
            }
            return _stdout[index];
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the exit only (not for its output to be read to the end).</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>Waits up to <paramref name="timeout"/> for the exit and the end of its output; false if it still runs (it is not killed).</summary>
    public bool TryWait(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
            return false;
        // The parameterless wait also waits for the output to be read to its end.
        _process.WaitForExit();
        return true;
    }

    /// <summary>Waits for the exit; past <paramref name="timeout"/> kills the program and its children and throws.</summary>
    public (int ExitCode, string Stdout, string Stderr) Wait(TimeSpan timeout)
    {
        if (!TryWait(timeout))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            throw new TimeoutException($"{Path.GetFileName(FileName)} did not finish within {timeout}:\n{StderrSoFar}");
        }
        return (_process.ExitCode, StdoutSoFar, StderrSoFar);
    }

    /// <summary>Kills the program and its children if it still runs, and waits for it.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
