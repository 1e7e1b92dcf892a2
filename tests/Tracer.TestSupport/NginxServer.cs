using System.Globalization;
using System.Net.Sockets;

namespace Tracer.TestSupport;

/// <summary>
/// Debian's nginx serving a static page on a loopback port, with a master and two workers, its configuration,
/// pid file and logs in a directory of its own.
/// </summary>
public sealed class NginxServer : IDisposable
{
    public const string Binary = "/usr/sbin/nginx";
    private readonly ServerProcess _server;
    private readonly ReservedPort _port;

    private NginxServer(string directory, ReservedPort port, ServerProcess server)
    {
        _port = port;
        Directory = directory;
        Port = port.Number;
        _server = server;
    }

    public string Directory { get; }

    public int Port { get; }

    public string ConfigPath => Path.Combine(Directory, "nginx.conf");

    public int MasterPid => int.Parse(File.ReadAllText(Path.Combine(Directory, "nginx.pid")).Trim(), CultureInfo.InvariantCulture);

    public static async Task<NginxServer> StartAsync()
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} is missing; install it: apt-get install nginx");
        var dir = System.IO.Directory.CreateTempSubdirectory("alloclat-nginx-");
        // Workers run as nobody and must read the page.
        dir.UnixFileMode |= UnixFileMode.OtherRead | UnixFileMode.OtherExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
        System.IO.Directory.CreateDirectory(Path.Combine(dir.FullName, "html"));
        File.WriteAllText(Path.Combine(dir.FullName, "html", "index.html"), "<p>alloclat</p>\n");
        // Held for the server's life; the server (SO_REUSEADDR) listens on it.
        var reserved = new ReservedPort();
        int port = reserved.Number;
        File.WriteAllText(Path.Combine(dir.FullName, "nginx.conf"), $$"""
            daemon off;
            master_process on;
            worker_processes 2;
            user nobody nogroup;
            pid {{dir.FullName}}/nginx.pid;
            error_log {{dir.FullName}}/error.log;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path {{dir.FullName}}/body;
                proxy_temp_path {{dir.FullName}}/proxy;
                fastcgi_temp_path {{dir.FullName}}/fastcgi;
                uwsgi_temp_path {{dir.FullName}}/uwsgi;
                scgi_temp_path {{dir.FullName}}/scgi;
                server {
                    listen 127.0.0.1:{{port}};
                    keepalive_timeout 0;
                    location / { root {{dir.FullName}}/html; }
                }
            }
            """);
        var server = new ServerProcess(Binary, ["-p", dir.FullName, "-c", Path.Combine(dir.FullName, "nginx.conf")], dir.FullName, TimeSpan.FromMinutes(10));
        var nginx = new NginxServer(dir.FullName, reserved, server);
        try
        {
            await Wait.UntilAsync(async () => !server.HasExited && File.Exists(Path.Combine(dir.FullName, "nginx.pid")) && await Accepts(port),
                TimeSpan.FromSeconds(60), $"nginx on 127.0.0.1:{port}", TimeSpan.FromMilliseconds(100));
        }
        catch (TimeoutException e)
        {
            nginx.Dispose();
            throw new TimeoutException($"{e.Message}; it printed: {server.RecentOutput}", e);
        }
        return nginx;
    }

    private static async Task<bool> Accepts(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        return true;
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

    public void Dispose()
    {
        _server.Dispose();
        _port.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
