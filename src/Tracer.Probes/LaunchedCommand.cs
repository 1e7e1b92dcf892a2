using System.Diagnostics;
using Tracer.Native;
using Tracer.Core;

namespace Tracer.Probes;

/// <summary>
/// A command started held at its first instruction: /bin/sh waits on a FIFO, and once the probes are in place
/// <see cref="Release"/> lets it exec the command under the same pid. Nothing the command does runs untraced.
/// </summary>
public sealed class LaunchedCommand : IDisposable
{
    private const string Holder = "read -r _ < \"$0\" && exec \"$@\"";

    private readonly Process _process;
    private readonly string _dir;
    private readonly string _fifo;

    private LaunchedCommand(Process process, string dir, string fifo, string executable)
    {
        _process = process;
        _dir = dir;
        _fifo = fifo;
        ExecutablePath = executable;
    }

    public int Pid => _process.Id;

    /// <summary>The file the command will execute, resolved the way execvp would.</summary>
    public string ExecutablePath { get; }

    public static LaunchedCommand Start(IReadOnlyList<string> command, IDictionary<string, string?>? environment = null)
    {
        if (command.Count == 0)
            throw new InvalidTargetException("no command given after --");
        string exe = ResolveExecutable(command[0])
            ?? throw new InvalidTargetException($"command not found: {command[0]}");
        var dir = Directory.CreateTempSubdirectory("alloclat-").FullName;
        string fifo = Path.Combine(dir, "release");
        Fifo.Create(fifo);
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Holder);
        psi.ArgumentList.Add(fifo);
        psi.ArgumentList.Add(exe);
        for (int i = 1; i < command.Count; i++)
            psi.ArgumentList.Add(command[i]);
        if (environment is not null)
            foreach (var (k, v) in environment)
                psi.Environment[k] = v;
        var process = Process.Start(psi) ?? throw new IOException("could not start /bin/sh");
        return new LaunchedCommand(process, dir, fifo, exe);
    }

    /// <summary>Lets the held process exec the command.</summary>
    public void Release()
    {
        // Opening a FIFO for writing blocks until the reader has it open: the shell gets there in milliseconds,
        // and if it died instead the wait is bounded by the process exit check.
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var fs = new FileStream(Fifo.OpenWriter(_fifo), FileAccess.Write);
                fs.WriteByte((byte)'\n');
                return;
            }
            catch (IOException) when (!_process.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(5);
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public Task WaitForExitAsync(CancellationToken cancellationToken = default) => _process.WaitForExitAsync(cancellationToken);

    public int ExitCode => _process.ExitCode;

    /// <summary>Asks the command to end (SIGTERM), as timeout(1) does.</summary>
    public void Terminate() => ProcessSignals.Terminate(_process.Id);

    /// <summary>Interrupts the command (SIGINT), as Ctrl-C in its terminal would.</summary>
    public void Interrupt() => ProcessSignals.Interrupt(_process.Id);

    /// <summary>PATH lookup as execvp does it; a name with a slash is taken as a path.</summary>
    public static string? ResolveExecutable(string name)
    {
        if (name.Contains('/'))
            return File.Exists(name) ? Path.GetFullPath(name) : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':'))
        {
            var candidate = Path.Combine(dir.Length == 0 ? "." : dir, name);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                return Path.GetFullPath(candidate);
        }
        return null;
    }

    public void Dispose()
    {
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
