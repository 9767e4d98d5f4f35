using System.Net;
using System.Net.Sockets;

namespace Omni.Cli.Launching;

public static class FreePorts
{
    /// <summary>Ports handed out lately by this process, oldest first: they may not be bound yet.</summary>
    private static readonly Queue<int> Recent = new();
    private static readonly HashSet<int> RecentSet = [];
    private const int Remembered = 1024;

    /// <summary>
    /// Ports the OS reports free on 127.0.0.1 now (all held open together, so they differ), and none this process
    /// handed out lately: a port is free again the moment it is handed out, until its service binds it, and another
    /// caller (a parallel test starting its own services) must not get it in that gap.
    /// </summary>
    public static int[] Take(int count)
    {
        lock (Recent)
        {
            var listeners = new List<TcpListener>();
            var ports = new List<int>();
            try
            {
                while (ports.Count < count)
                {
                    var listener = new TcpListener(IPAddress.Loopback, 0);
                    listener.Start();
                    listeners.Add(listener);
                    var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                    if (!RecentSet.Contains(port))
                    {
                        ports.Add(port);
                    }
                }
            }
            finally
            {
                listeners.ForEach(listener => listener.Stop());
            }
            foreach (var port in ports)
            {
                Recent.Enqueue(port);
                RecentSet.Add(port);
                if (Recent.Count > Remembered)
                {
                    RecentSet.Remove(Recent.Dequeue());
                }
            }
            return [.. ports];
        }
    }
}
