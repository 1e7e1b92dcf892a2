using Tracer.Native;
using Tracer.Native.Interop;

namespace Tracer.Probes;

/// <summary>
/// The <c>held</c> maps of the other collectors running on this host. A process stopped at exec is stopped once,
/// however many collectors' hooks stopped it, and one SIGCONT continues it: so a collector that has placed its
/// probes continues a process only when no other live collector still holds it, and otherwise leaves the SIGCONT to
/// the last one to let go. Each collector marks its map as live with a heartbeat under key 0 (no process has tgid
/// 0; its <c>since_ns</c> is the last renewal), renewed with its lease and removed when it stops holding; a map whose heartbeat is gone or stale belongs to
/// a collector that ended (its guard continues what it held) and is ignored.
/// </summary>
internal sealed class ExecHoldPeers : IDisposable
{
    /// <summary>The key of the heartbeat in a collector's own <c>held</c> map.</summary>
    public const uint HeartbeatKey = 0;

    private readonly uint _ownId;
    // The shape of this collector's own map: another collector's map has the same.
    private readonly (string Name, uint Type, uint KeySize, uint ValueSize, uint MaxEntries) _shape;
    private readonly TimeSpan _stale;
    private readonly List<Peer> _peers = new();

    private sealed class Peer(ForeignBpfMap map, long foundNs)
    {
        public readonly ForeignBpfMap Map = map;
        public readonly long FoundNs = foundNs;
        public bool SeenLive;
    }
    private uint _lastSeenId;

    /// <param name="own">this collector's held map (never its own peer)</param>
    /// <param name="stale">a heartbeat older than this is a collector that is gone</param>
    public ExecHoldPeers(BpfMap own, TimeSpan stale)
    {
        _ownId = own.Id;
        using (var self = ForeignBpfMap.TryOpen(_ownId) ?? throw new InvalidOperationException($"map {own.Name} has no kernel id"))
            _shape = (self.Map.Name, self.Type, self.KeySize, self.ValueSize, self.MaxEntries);
        _stale = stale;
    }

    /// <summary>Other collectors' maps currently followed.</summary>
    public int Count => _peers.Count;

    /// <summary>
    /// Whether another live collector holds <paramref name="pid"/>. Called after this collector removed its own
    /// entry: of two collectors letting go at once, the later one then sees the other's entry gone.
    /// </summary>
    public bool OthersHold(int pid)
    {
        Refresh();
        long now = MonotonicClock.NowMonotonicNs();
        bool held = false;
        for (int i = _peers.Count - 1; i >= 0; i--)
        {
            var peer = _peers[i];
            if (Live(peer.Map, now))
            {
                peer.SeenLive = true;
                held |= peer.Map.Map.TryLookup<uint, HeldProcess>((uint)pid, out _);
            }
            else if (peer.SeenLive || now - peer.FoundNs > 5 * _stale.Ticks * 100)
            {
                // Its collector ended (or it was never one: a map that only looks like ours).
                peer.Map.Dispose();
                _peers.RemoveAt(i);
            }
        }
        return held;
    }

    private bool Live(ForeignBpfMap peer, long now)
    {
        try
        {
            return peer.Map.TryLookup<uint, HeldProcess>(HeartbeatKey, out var beat) && now - (long)beat.SinceNs < _stale.Ticks * 100;
        }
        catch (LibbpfException)
        {
            return false;
        }
    }

    /// <summary>Looks at the maps created since the last look (ids only grow), for collectors that started since.</summary>
    private void Refresh()
    {
        for (uint id = ForeignBpfMap.NextId(_lastSeenId); id != 0; id = ForeignBpfMap.NextId(id))
        {
            _lastSeenId = id;
            if (id == _ownId)
                continue;
            ForeignBpfMap? map;
            try
            {
                map = ForeignBpfMap.TryOpen(id);
            }
            catch (LibbpfException)
            {
                continue;
            }
            if (map is null)
                continue;
            // A collector that has just loaded may not have written its first heartbeat yet: followed from now on.
            if ((map.Map.Name, map.Type, map.KeySize, map.ValueSize, map.MaxEntries) == _shape)
                _peers.Add(new Peer(map, MonotonicClock.NowMonotonicNs()));
            else
                map.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var p in _peers)
            p.Map.Dispose();
        _peers.Clear();
    }
}
