using System.Diagnostics;

namespace Alloclat.Tests;

/// <summary>A shell that runs a program <paramref name="count"/> times and prints each count when it returns.</summary>
internal sealed class Churn : IDisposable
{
    private readonly Process _shell;

    /// <summary>The loop starts when <see cref="Go"/> is called.</summary>
    public Churn(string program, int count, string arguments = "")
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardInput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"read _ || exit 1; i=0; while [ $i -lt {count} ]; do \"$0\" {arguments}; i=$((i+1)); echo $i; done");
        psi.ArgumentList.Add(program);
        _shell = Process.Start(psi)!;
    }

    public void Go()
    {
        _shell.StandardInput.WriteLine();
        _shell.StandardInput.Close();
    }

    public int Pid => _shell.Id;

    /// <summary>Blocks until the program has returned <paramref name="n"/> times in all.</summary>
    public void WaitForStarts(int n)
    {
        while (Last < n)
            Last = int.Parse(_shell.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"the shell ended after {Last} starts"));
    }

    public int Last { get; private set; }

    /// <summary>Reads to the end: returns the last count, or throws when the loop is still stuck after the timeout.</summary>
    public int WaitForEnd(TimeSpan timeout)
    {
        var rest = _shell.StandardOutput.ReadToEndAsync();
        if (!rest.Wait(timeout))
            throw new TimeoutException($"the loop is stuck after {Last} starts: a process was left stopped\n{Stopped()}");
        _shell.WaitForExit();
        var lines = rest.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length > 0 ? int.Parse(lines[^1]) : Last;
    }

    private static string Stopped() => string.Join("\n", ExecHoldTests.StoppedProcesses().Select(p => $"{p.Pid} {p.Comm}"));

    public void Dispose()
    {
        if (!_shell.HasExited)
            _shell.Kill(entireProcessTree: true);
        _shell.Dispose();
    }
}
