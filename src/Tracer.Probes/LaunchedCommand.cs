using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using Tracer.Native;
using Tracer.Core;

namespace Tracer.Probes;

/// <summary>
/// A command started held at its first instruction: /bin/sh waits on a FIFO, and once the probes are in place
/// <see cref="Release"/> lets it exec the command under the same pid. Nothing the command does runs untraced.
/// <see cref="Start"/> returns once the shell is waiting on the FIFO, so its own exec and start-up are over before
/// the caller marks the pid to be traced from its next exec: the shell's exec would otherwise race that mark (the
/// parent learns that the exec succeeded before the kernel's exec tracepoint runs) and have the shell's own calls
/// traced as the command's.
/// </summary>
public sealed class LaunchedCommand : IDisposable
{
    private const string Holder = "read -r _ < \"$0\" && exec \"$@\"";

    private readonly Process _process;
    private readonly string _dir;
    private SafeFileHandle? _writer;

    private LaunchedCommand(Process process, string dir, SafeFileHandle writer, string executable)
    {
        _process = process;
        _dir = dir;
        _writer = writer;
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
        try
        {
            return new LaunchedCommand(process, dir, WaitForHolder(process, fifo), exe);
        }
        catch
        {
            try { process.Kill(); } catch (InvalidOperationException) { }
            process.Dispose();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>
    /// The FIFO's writing end, opened once the shell has its reading end open and waits in read. The shell gets
    /// there in milliseconds; if it dies first, or never gets there, the wait ends with the error.
    /// </summary>
    private static SafeFileHandle WaitForHolder(Process shell, string fifo)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return Fifo.OpenWriter(fifo);
            }
            catch (IOException) when (!shell.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(1);
            }
            catch (IOException) when (shell.HasExited)
            {
                throw new IOException($"/bin/sh, started to hold the command, exited with status {shell.ExitCode} before it waited on {fifo}");
            }
        }
    }

    /// <summary>Lets the held process exec the command.</summary>
    public void Release()
    {
        using var fs = new FileStream(_writer ?? throw new InvalidOperationException("the command was already released"), FileAccess.Write);
        _writer = null;
        fs.WriteByte((byte)'\n');
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
        // A command never released reads end of file: the shell's read fails and it exits without the exec.
        _writer?.Dispose();
        _writer = null;
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
