using System.Diagnostics;
using System.Globalization;

namespace Tracer.Native;

/// <summary>
/// Starts alloclat-guard (native/alloclat-guard.c), the small process that continues every process the exec hook
/// stopped once the collector is gone or its lease has lapsed: the one way out of a stop when the collector is
/// killed with SIGKILL. It opens the maps by id, so they outlive the collector until it has swept them.
/// </summary>
public static class HoldGuard
{
    /// <summary>The guard installed next to the collector's own executable.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "alloclat-guard");

    /// <summary>Starts the guard and waits until it holds the maps; returns null, or why there is no guard.</summary>
    public static string? Start(string path, BpfMap held, BpfMap lease)
    {
        if (!File.Exists(path))
            return $"{path} is missing";
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
        try
        {
            using var guard = Process.Start(psi);
            if (guard is null)
                return $"{path} could not be started";
            var ready = guard.StandardOutput.ReadLineAsync();
            if (!ready.Wait(TimeSpan.FromSeconds(10)))
            {
                guard.Kill();
                return $"{path} did not start within 10 s";
            }
            if (ready.Result == "ready")
                return null;
            guard.WaitForExit(TimeSpan.FromSeconds(5));
            string error = guard.StandardError.ReadToEnd().Trim();
            return $"{path} failed: {(error.Length > 0 ? error : "no message")}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return $"{path} could not be started: {e.Message}";
        }
    }
}
