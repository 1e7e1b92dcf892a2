using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Tracer.TestSupport;

/// <summary>
/// A database server run for a test. It runs under coreutils <c>timeout</c>, so even if the test host dies
/// without disposing it the server is gone after <c>lifetime</c>. Its output is kept (bounded) for failure
/// messages.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private const int MaxOutputChars = 32 * 1024;
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public ServerProcess(string executable, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan lifetime)
    {
        var timeout = FindOptional("timeout");
        var psi = new ProcessStartInfo
        {
            FileName = timeout ?? executable,
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // Its own stdin pipe: a server must never read from (or stop on) the test host's terminal.
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (timeout is not null)
        {
            psi.ArgumentList.Add("--kill-after=5");
            psi.ArgumentList.Add(((int)Math.Ceiling(lifetime.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
            psi.ArgumentList.Add(executable);
        }
        foreach (var a in arguments)
            psi.ArgumentList.Add(a);

        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        if (!_process.Start())
            throw new InvalidOperationException($"could not start {executable}");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Description = $"{executable} {string.Join(' ', arguments)}";
    }

    public string Description { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The last few kilobytes the server printed.</summary>
    public string RecentOutput
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Kills the server (SIGKILL: an abrupt outage, as a crash or power loss) and waits for it to exit.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
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

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            _output.AppendLine(line);
            if (_output.Length > MaxOutputChars)
                _output.Remove(0, _output.Length - MaxOutputChars);
        }
    }
}
