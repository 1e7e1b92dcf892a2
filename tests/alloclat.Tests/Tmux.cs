using System.Diagnostics;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>
/// A real terminal: a private tmux server (its own socket) running one command in a pane of a fixed size. A shell
/// in the pane runs the command, keeps its exit status in a file and then waits, so the command's last screen
/// and status can be read after it exits. Disposing stops the server.
/// </summary>
public sealed class Tmux : IDisposable
{
    private readonly string _socket = "alloclat-test-" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _status = Path.Combine(Path.GetTempPath(), "alloclat-tmux-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>Runs <paramref name="command"/> (shell syntax) in a new pane; its exit status is kept by the shell.</summary>
    public Tmux(string command, int width, int height)
    {
        Run("new-session", "-d", "-s", "t", "-x", width.ToString(), "-y", height.ToString(),
            $"{command}; echo $? > {_status}.tmp && mv {_status}.tmp {_status}; exec sleep 600");
    }

    /// <summary>The pane's visible lines, exactly as a person would see them.</summary>
    public string[] Capture() => Run("capture-pane", "-p", "-t", "t").Split('\n');

    public void SendKeys(string keys) => Run("send-keys", "-t", "t", "-l", keys);

    /// <summary>Null while the command runs, then its exit status (the pane stays, showing the last screen).</summary>
    public int? ExitStatus() => File.Exists(_status) ? int.Parse(File.ReadAllText(_status).Trim()) : null;

    /// <summary>Polls the screen until <paramref name="condition"/> holds; the last screen is in the failure message.</summary>
    public string[] WaitFor(Func<string[], bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        string[] screen = [];
        while (deadline.Elapsed < (timeout ?? TimeSpan.FromSeconds(60)))
        {
            screen = Capture();
            if (condition(screen))
                return screen;
            Thread.Sleep(100);
        }
        throw new TimeoutException($"the terminal never showed {what}; its last screen:\n{string.Join('\n', screen)}");
    }

    public void Dispose()
    {
        File.Delete(_status);
        try
        {
            Run("kill-server");
        }
        catch (InvalidOperationException)
        {
        }
    }

    private string Run(params string[] args)
    {
        var (exit, stdout, stderr) = CapturedProcess.Start("tmux", ["-L", _socket, .. args]).Wait(TimeSpan.FromSeconds(30));
        if (exit != 0)
            throw new InvalidOperationException($"tmux {string.Join(' ', args)} failed ({exit}): {stderr}");
        return stdout;
    }
}
