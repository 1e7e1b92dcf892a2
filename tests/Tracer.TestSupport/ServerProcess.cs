using System.Diagnostics;
using System.Globalization;

namespace Tracer.TestSupport;

/// <summary>
/// A server run for a test, through <see cref="CapturedProcess"/>. It runs under coreutils <c>timeout</c>, so even if
/// the test host dies without disposing it the server is gone after <c>lifetime</c>. Its last lines of output are
/// kept for failure messages.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private const int KeptLines = 400;
    private readonly CapturedProcess _process;

    public ServerProcess(string executable, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan lifetime)
    {
        var timeout = FindOptional("timeout");
        var psi = new ProcessStartInfo
        {
            FileName = timeout ?? executable,
            WorkingDirectory = workingDirectory,
            // Its own stdin pipe: a server must never read from (or stop on) the test host's terminal.
            RedirectStandardInput = true,
        };
        if (timeout is not null)
        {
            psi.ArgumentList.Add("--kill-after=5");
            psi.ArgumentList.Add(((int)Math.Ceiling(lifetime.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
            psi.ArgumentList.Add(executable);
        }
        foreach (var a in arguments)
            psi.ArgumentList.Add(a);
        _process = CapturedProcess.Start(psi, KeptLines);
        Description = $"{executable} {string.Join(' ', arguments)}";
    }

    public string Description { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The process started: coreutils <c>timeout</c>, whose child is the server.</summary>
    public int Id => _process.Id;

    /// <summary>The last lines the server printed (standard output, then standard error).</summary>
    public string RecentOutput => _process.StdoutSoFar + _process.StderrSoFar;

    /// <summary>Kills the server (SIGKILL: an abrupt outage, as a crash or power loss) and waits for it to exit.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
                _process.KillTree();
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    /// <summary>Finds a program on PATH or in /usr/bin, /usr/sbin, /usr/local/bin; fails with an install hint.</summary>
    public static string FindExecutable(string name, string installHint)
        => FindOptional(name) ?? throw new InvalidOperationException(
            $"'{name}' was not found on PATH nor in /usr/bin, /usr/sbin or /usr/local/bin; install it: {installHint}");

    private static string? FindOptional(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin"]);
        foreach (var dir in dirs)
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
                return path;
        }
        return null;
    }
}
