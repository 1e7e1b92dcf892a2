using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Tracer.Native;

/// <summary>
/// alloclat-guard (native/alloclat-guard.c), the small process that continues every process the exec hook
/// stopped once the collector is gone or its lease has lapsed: the one way out of a stop when the collector is
/// killed with SIGKILL. It opens the maps by id, so they outlive the collector until it has swept them. At the
/// collector's exit it can also take over links whose removal would only delay that exit (<see cref="TakeOver"/>).
/// </summary>
public sealed class HoldGuard : IDisposable
{
    private readonly Process _process;

    private HoldGuard(Process process) => _process = process;

    /// <summary>The guard installed next to the collector's own executable.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "alloclat-guard");

    /// <summary>Starts the guard and waits until it holds the maps; null and why when there is no guard.</summary>
    public static HoldGuard? Start(string path, BpfMap held, BpfMap lease, out string? problem)
    {
        problem = null;
        if (!File.Exists(path))
        {
            problem = $"{path} is missing";
            return null;
        }
        var psi = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        psi.ArgumentList.Add(held.Id.ToString(CultureInfo.InvariantCulture));
        psi.ArgumentList.Add(lease.Id.ToString(CultureInfo.InvariantCulture));
        Process? guard = null;
        try
        {
            guard = Process.Start(psi);
            if (guard is null)
            {
                problem = $"{path} could not be started";
                return null;
            }
            var ready = guard.StandardOutput.ReadLineAsync();
            if (!ready.Wait(TimeSpan.FromSeconds(10)))
            {
                guard.Kill();
                problem = $"{path} did not start within 10 s";
            }
            else if (ready.Result != "ready")
            {
                guard.WaitForExit(TimeSpan.FromSeconds(5));
                string error = guard.StandardError.ReadToEnd().Trim();
                problem = $"{path} failed: {(error.Length > 0 ? error : "no message")}";
            }
            if (problem is null)
            {
                var started = new HoldGuard(guard);
                guard = null;
                return started;
            }
            return null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            problem = $"{path} could not be started: {e.Message}";
            return null;
        }
        finally
        {
            guard?.Dispose();
        }
    }

    /// <summary>
    /// Has the guard take a duplicate of each descriptor (pidfd_getfd) and close it once this process has exited;
    /// returns how many it took (0 when it cannot: a kernel without pidfd_getfd, a ptrace policy that forbids it, a
    /// guard gone). The caller still closes its own copies, which for those taken only drops a reference.
    /// </summary>
    public int TakeOver(IReadOnlyCollection<int> fds, TimeSpan timeout)
    {
        if (fds.Count == 0)
            return 0;
        try
        {
            var line = new StringBuilder("links");
            foreach (int fd in fds)
                line.Append(' ').Append(fd.ToString(CultureInfo.InvariantCulture));
            _process.StandardInput.WriteLine(line.ToString());
            _process.StandardInput.Flush();
            var answer = _process.StandardOutput.ReadLineAsync();
            if (!answer.Wait(timeout) || answer.Result is not { } text || !text.StartsWith("taken ", StringComparison.Ordinal))
                return 0;
            return int.TryParse(text.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 0;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            return 0;
        }
    }

    /// <summary>Closes this side of the guard's pipes; the guard goes on until the collector has exited.</summary>
    public void Dispose() => _process.Dispose();
}
