using System.Net;
using System.Net.Sockets;

namespace Omni.Cli.Launching;

public static class FreePorts
{
    /// <summary>Ports the OS reports free on 127.0.0.1 now (all held open together, so they differ).</summary>
    public static int[] Take(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ =>
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return listener;
        }).ToList();
        var ports = listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port).ToArray();
        listeners.ForEach(listener => listener.Stop());
        return ports;
    }
}
