using System.Net;
using System.Net.Sockets;

namespace Tracer.TestSupport;

/// <summary>Free TCP ports on 127.0.0.1, never the same one twice within a test run.</summary>
public static class FreePort
{
    private static readonly HashSet<int> s_handedOut = [];

    public static int Next()
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (s_handedOut)
            {
                // A port given to a server that is stopped for a while must not be given to another one.
                if (s_handedOut.Add(port))
                    return port;
            }
        }
        throw new InvalidOperationException("could not find a free TCP port on 127.0.0.1 in 100 attempts");
    }
}
