using System.Diagnostics;
using Tracer.TestSupport;

namespace Alloclat.Tests;

/// <summary>
/// A real terminal: a private tmux server (its own socket) running one command in a pane of a fixed size. The
/// pane stays after the command exits, so its last screen and exit status can be read. Disposing stops the server.
/// </summary>
public sealed class Tmux : IDisposable
{
    private readonly string _socket = "alloclat-test-" + Guid.NewGuid().ToString("N")[..12];

    public Tmux(string command, int width, int height)
    {
        Run("new-session", "-d", "-s", "t", "-x", width.ToString(), "-y", height.ToString(), command);
        Run("set-option", "-t", "t", "remain-on-exit", "on");
    }

    /// <summary>The pane's visible lines, exactly as a person would see them.</summary>
    public string[] Capture() => Run("capture-pane", "-p", "-t", "t").Split('\n');

    public void SendKeys(string keys) => Run("send-keys", "-t", "t", "-l", keys);

    /// <summary>Null while the command runs, then its exit status.</summary>
    public int? ExitStatus()
    {
        var state = Run("display-message", "-p", "-t", "t", "#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}").Trim().Split('|');
        // The pane is dead when the terminal closes, which can be before tmux has reaped the command: until then
        // neither its status nor its signal is known.
        if (state[0] != "1")
            return null;
        if (int.TryParse(state[1], out int status))
            return status;
        // A command killed by a signal has no status; as a shell says it: 128 + the signal.
        return state.Length > 2 && int.TryParse(state[2], out int signal) ? 128 + signal : null;
    }

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
