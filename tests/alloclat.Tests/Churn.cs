using System.Globalization;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>A shell that runs a program <paramref name="count"/> times and prints each count when it returns.</summary>
internal sealed class Churn : IDisposable
{
    private static readonly TimeSpan StartsTimeout = TimeSpan.FromMinutes(5);
    private readonly CapturedProcess _shell;

    /// <summary>The loop starts when <see cref="Go"/> is called.</summary>
    public Churn(string program, int count, string arguments = "") =>
        _shell = CapturedProcess.Start("/bin/sh",
            ["-c", $"read _ || exit 1; i=0; while [ $i -lt {count} ]; do \"$0\" {arguments}; i=$((i+1)); echo $i; done", program],
            input: true);

    public void Go()
    {
        _shell.WriteLine();
        _shell.CloseInput();
    }

    public int Pid => _shell.Id;

    /// <summary>Blocks until the program has returned <paramref name="n"/> times in all.</summary>
    public void WaitForStarts(int n)
    {
        while (Last < n)
            Last = int.Parse(_shell.StdoutLine(Last, StartsTimeout), CultureInfo.InvariantCulture);
    }

    public int Last { get; private set; }

    /// <summary>Waits for the end: returns the last count, or throws when the loop is still stuck after the timeout.</summary>
    public int WaitForEnd(TimeSpan timeout)
    {
        if (!_shell.TryWait(timeout))
            throw new TimeoutException($"the loop is stuck after {Last} starts: a process was left stopped\n{Stopped()}");
        var lines = _shell.StdoutLines;
        return lines.Count > 0 ? int.Parse(lines[^1], CultureInfo.InvariantCulture) : Last;
    }

    private static string Stopped() => string.Join("\n", ExecHoldTests.StoppedProcesses().Select(p => $"{p.Pid} {p.Comm}"));

    public void Dispose() => _shell.Dispose();
}
