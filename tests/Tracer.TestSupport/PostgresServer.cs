using System.Diagnostics;
using System.Globalization;

namespace Tracer.TestSupport;

/// <summary>
/// Debian's PostgreSQL 15, run by the test as the unprivileged <c>postgres</c> user on a loopback port, in a data
/// directory of its own (trust authentication, no fsync) that is removed afterwards.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public const string Binary = "/usr/lib/postgresql/15/bin/postgres";
    private const string Hint = "apt-get install postgresql";
    private readonly ServerProcess _server;
    private readonly ReservedPort _port;

    private PostgresServer(string directory, ReservedPort port, ServerProcess server)
    {
        _port = port;
        Directory = directory;
        Port = port.Number;
        _server = server;
    }

    /// <summary>The server's own directory (owned by postgres); <c>{dir}</c> in an environment value stands for it.</summary>
    public string Directory { get; }

    public int Port { get; }

    /// <summary>The postmaster's pid, from its pid file.</summary>
    public int PostmasterPid => int.Parse(File.ReadLines(System.IO.Path.Combine(Directory, "data", "postmaster.pid")).First(), CultureInfo.InvariantCulture);

    /// <summary>Starts a server; <paramref name="environment"/> (NAME=value) is added to the postmaster's, which every backend inherits.</summary>
    public static async Task<PostgresServer> StartAsync(params string[] environment)
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} is missing; install it: {Hint}");
        string dir = System.IO.Directory.CreateTempSubdirectory("alloclat-pg-").FullName;
        Run("chown", ["postgres:postgres", dir]);
        Run("setpriv", [.. AsPostgres, System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Binary)!, "initdb"),
            "-D", System.IO.Path.Combine(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
        // Held for the server's life; the server (SO_REUSEADDR) listens on it.
        var reserved = new ReservedPort();
        int port = reserved.Number;
        var server = new ServerProcess(ServerProcess.FindExecutable("setpriv", "apt-get install util-linux"),
            [.. AsPostgres, "env", .. environment.Select(e => e.Replace("{dir}", dir, StringComparison.Ordinal)), Binary, "-D", System.IO.Path.Combine(dir, "data"), "-p", port.ToString(CultureInfo.InvariantCulture), "-k", dir,
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"], dir, TimeSpan.FromMinutes(10));
        var pg = new PostgresServer(dir, reserved, server);
        try
        {
            await Wait.UntilAsync(() => !server.HasExited && pg.Ready(), TimeSpan.FromSeconds(60), $"PostgreSQL on 127.0.0.1:{port}", TimeSpan.FromMilliseconds(100));
        }
        catch (TimeoutException e)
        {
            pg.Dispose();
            throw new TimeoutException($"{e.Message}; it printed: {server.RecentOutput}", e);
        }
        return pg;
    }

    private static readonly string[] AsPostgres = ["--reuid=postgres", "--regid=postgres", "--init-groups"];

    private bool Ready()
    {
        using var p = Process.Start(new ProcessStartInfo("pg_isready", ["-q", "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture)]))!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    /// <summary>An interactive psql session (unaligned, tuples only, quiet), driven through its standard input.</summary>
    public Process OpenSession()
    {
        var psi = new ProcessStartInfo("psql", ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-qAt", "-v", "ON_ERROR_STOP=1"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        return Process.Start(psi)!;
    }

    private static void Run(string file, IReadOnlyList<string> args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {err.Result}");
    }

    public void Dispose()
    {
        // A fast shutdown (SIGINT) lets the postmaster remove its shared memory; the kill afterwards is the fallback.
        try
        {
            using var postmaster = Process.GetProcessById(PostmasterPid);
            Run("kill", ["-INT", postmaster.Id.ToString(CultureInfo.InvariantCulture)]);
            postmaster.WaitForExit(15_000);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException)
        {
        }
        _server.Dispose();
        _port.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
