using System.Net;
using System.Net.Sockets;

namespace Tracer.TestSupport;

/// <summary>
/// A TCP port on 127.0.0.1 that the kernel chose (a bind to port 0), held bound but not listening until disposed.
/// Meanwhile a connection to it is refused, no other socket bound to port 0 is given it, and a server that sets
/// SO_REUSEADDR (<see cref="ScriptedHttpServer"/>, influxd, PostgreSQL, nginx) can listen on it, and listen on it again
/// after a restart: Linux lets two SO_REUSEADDR sockets share a port while only one listens. For a server that can
/// bind port 0 and is never restarted where a client already points, port 0 is simpler (<see cref="ListeningPorts"/>).
/// </summary>
public sealed class ReservedPort : IDisposable
{
    private readonly Socket _socket;

    public ReservedPort()
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Number = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    public int Number { get; }

    public Uri Url => new($"http://127.0.0.1:{Number}/");

    public void Dispose() => _socket.Dispose();
}
