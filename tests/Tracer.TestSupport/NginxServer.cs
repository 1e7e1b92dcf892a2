using System.Globalization;
using System.Net.Sockets;

namespace Tracer.TestSupport;

/// <summary>
/// Debian's nginx serving a static page on a loopback port, with a master and two workers, its configuration,
/// pid file and logs in a directory of its own. Its port is a <see cref="ReservedPort"/>: nginx refuses port 0
/// ("invalid port in "127.0.0.1:0" of the "listen" directive").
/// </summary>
public sealed class NginxServer : LoopbackServerFixture
{
    public const string Binary = "/usr/sbin/nginx";

    public NginxServer()
        : base(Binary, "apt-get install nginx", ServerPort.Reserved, name: "nginx") =>
        Lifetime = TimeSpan.FromMinutes(10);

    public string ConfigPath => Path.Combine(Directory, "nginx.conf");

    public int MasterPid => int.Parse(File.ReadAllText(Path.Combine(Directory, "nginx.pid")).Trim(), CultureInfo.InvariantCulture);

    protected override IReadOnlyList<string> Arguments() => ["-p", Directory, "-c", ConfigPath];

    protected override Task OnStartingAsync()
    {
        // Workers run as nobody and must read the page.
        new DirectoryInfo(Directory).UnixFileMode |= UnixFileMode.OtherRead | UnixFileMode.OtherExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "html"));
        File.WriteAllText(Path.Combine(Directory, "html", "index.html"), "<p>alloclat</p>\n");
        File.WriteAllText(ConfigPath, $$"""
            daemon off;
            master_process on;
            worker_processes 2;
            user nobody nogroup;
            pid {{Directory}}/nginx.pid;
            error_log {{Directory}}/error.log;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path {{Directory}}/body;
                proxy_temp_path {{Directory}}/proxy;
                fastcgi_temp_path {{Directory}}/fastcgi;
                uwsgi_temp_path {{Directory}}/uwsgi;
                scgi_temp_path {{Directory}}/scgi;
                server {
                    listen 127.0.0.1:{{Port}};
                    keepalive_timeout 0;
                    location / { root {{Directory}}/html; }
                }
            }
            """);
        return Task.CompletedTask;
    }

    protected override async Task<bool> IsReadyAsync()
    {
        if (!File.Exists(Path.Combine(Directory, "nginx.pid")))
            return false;
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", Port).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// Asks the master for a fast shutdown (SIGTERM: it stops its workers and waits for them), and kills any
    /// worker still there after it: a killed master's workers keep running, owned by init, and are not in the tree
    /// the fixture kills.
    /// </summary>
    protected override void OnStopping()
    {
        try
        {
            var workers = Workers();
            using var master = System.Diagnostics.Process.GetProcessById(MasterPid);
            ProcessRunner.Run("kill", ["-TERM", master.Id.ToString(CultureInfo.InvariantCulture)], timeoutSeconds: 10);
            master.WaitForExit(15_000);
            foreach (int pid in workers)
            {
                try
                {
                    using var worker = System.Diagnostics.Process.GetProcessById(pid);
                    if (worker.ProcessName == "nginx")
                        worker.Kill();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                }
            }
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or FormatException)
        {
        }
    }

    /// <summary>The master's children: its workers.</summary>
    public IReadOnlySet<int> Workers()
    {
        int master = MasterPid;
        var workers = new HashSet<int>();
        foreach (var dir in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
                continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // fields[0] is the state, fields[1] the parent; a worker that has exited (a zombie) is not one.
                if (fields[0] != "Z" && int.Parse(fields[1], CultureInfo.InvariantCulture) == master)
                    workers.Add(pid);
            }
            catch (IOException)
            {
            }
        }
        return workers;
    }
}
