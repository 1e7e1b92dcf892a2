using System.Diagnostics;
using System.Globalization;

namespace Tracer.TestSupport;

/// <summary>
/// Debian's PostgreSQL 15, run by the test as the unprivileged <c>postgres</c> user on a loopback port, in a data
/// directory of its own (trust authentication, no fsync) that is removed afterwards. Its port is a
/// <see cref="ReservedPort"/>: PostgreSQL cannot be given port 0 (its <c>port</c> setting ranges from 1 to 65535, and
/// its Unix socket is named after the port).
/// </summary>
public sealed class PostgresServer : LoopbackServerFixture
{
    public const string Binary = "/usr/lib/postgresql/15/bin/postgres";
    private const string Hint = "apt-get install postgresql";
    private static readonly string[] AsPostgres = ["--reuid=postgres", "--regid=postgres", "--init-groups"];
    private readonly string[] _environment;
    private bool _initialised;

    /// <summary>A server to start; <paramref name="environment"/> (NAME=value) is added to the postmaster's, which every backend inherits.</summary>
    public PostgresServer(params string[] environment)
        : base("setpriv", "apt-get install util-linux", ServerPort.Reserved, name: "pg")
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} is missing; install it: {Hint}");
        _environment = environment;
        Lifetime = TimeSpan.FromMinutes(10);
    }

    /// <summary>The postmaster's pid, from its pid file.</summary>
    public int PostmasterPid => int.Parse(File.ReadLines(Path.Combine(Directory, "data", "postmaster.pid")).First(), CultureInfo.InvariantCulture);

    /// <summary><c>{dir}</c> in an environment value stands for the server's own directory (owned by postgres).</summary>
    protected override IReadOnlyList<string> Arguments() =>
    [
        .. AsPostgres, "env", .. _environment.Select(e => e.Replace("{dir}", Directory, StringComparison.Ordinal)),
        Binary, "-D", Path.Combine(Directory, "data"), "-p", Port.ToString(CultureInfo.InvariantCulture), "-k", Directory,
        "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
    ];

    protected override Task OnStartingAsync()
    {
        if (!_initialised)
        {
            ProcessRunner.Run("chown", ["postgres:postgres", Directory]);
            ProcessRunner.Run("setpriv", [.. AsPostgres, Path.Combine(Path.GetDirectoryName(Binary)!, "initdb"),
                "-D", Path.Combine(Directory, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
            _initialised = true;
        }
        return Task.CompletedTask;
    }

    protected override Task<bool> IsReadyAsync() => Task.FromResult(
        ProcessRunner.Run("pg_isready", ["-q", "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture)], timeoutSeconds: 30, check: false).ExitCode == 0);

    /// <summary>A fast shutdown (SIGINT) lets the postmaster remove its shared memory; the kill afterwards is the fallback.</summary>
    protected override void OnStopping()
    {
        try
        {
            using var postmaster = Process.GetProcessById(PostmasterPid);
            ProcessRunner.Run("kill", ["-INT", postmaster.Id.ToString(CultureInfo.InvariantCulture)], timeoutSeconds: 10);
            postmaster.WaitForExit(15_000);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException)
        {
        }
    }

    /// <summary>An interactive psql session (unaligned, tuples only, quiet), driven through its standard input.</summary>
    public CapturedProcess OpenSession() =>
        CapturedProcess.Start("psql", ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-qAt", "-v", "ON_ERROR_STOP=1"], input: true);
}
