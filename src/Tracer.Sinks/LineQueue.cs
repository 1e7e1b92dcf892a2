namespace Tracer.Sinks;

/// <summary>
/// Bounded FIFO of encoded lines that drops the oldest on overflow: when the database is away for long, the
/// most recent intervals are the ones worth keeping. Thread-safe.
/// </summary>
internal sealed class LineQueue
{
    private readonly object _gate = new();
    private readonly int _capacity;
    private byte[][] _items;
    private int _head;
    private int _count;

    public LineQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _items = new byte[Math.Min(capacity, 1024)][];
    }

    public int Capacity => _capacity;

    public int Count
    {
        get { lock (_gate) return _count; }
    }

    /// <summary>Appends lines; returns how many of the oldest queued (or, past capacity, new) lines were dropped.</summary>
    public int Enqueue(IReadOnlyList<byte[]> lines)
    {
        lock (_gate)
        {
            int n = lines.Count;
            int skip = Math.Max(0, n - _capacity);
            int incoming = n - skip;
            int dropFromQueue = Math.Max(0, _count + incoming - _capacity);
            DropFront(dropFromQueue);
            EnsureSize(_count + incoming);
            for (int i = skip; i < n; i++)
            {
                _items[(_head + _count) % _items.Length] = lines[i];
                _count++;
            }
            return skip + dropFromQueue;
        }
    }

    /// <summary>Moves up to <paramref name="max"/> of the oldest lines into <paramref name="into"/>.</summary>
    public int Take(List<byte[]> into, int max)
    {
        lock (_gate)
        {
            int n = Math.Min(max, _count);
            for (int i = 0; i < n; i++)
            {
                into.Add(_items[_head]);
                _items[_head] = null!;
                _head = (_head + 1) % _items.Length;
            }
            _count -= n;
            return n;
        }
    }

    /// <summary>
    /// Puts <c>lines[start..]</c> (taken earlier, so older than anything queued) back at the front. If that
    /// overflows the capacity, the oldest of them are dropped; returns how many.
    /// </summary>
    public int ReturnToFront(List<byte[]> lines, int start)
    {
        lock (_gate)
        {
            int k = lines.Count - start;
            if (k <= 0)
                return 0;
            int drop = Math.Max(0, _count + k - _capacity);
            int keepFrom = start + Math.Min(drop, k);
            int keep = lines.Count - keepFrom;
            EnsureSize(_count + keep);
            for (int i = lines.Count - 1; i >= keepFrom; i--)
            {
                _head = (_head - 1 + _items.Length) % _items.Length;
                _items[_head] = lines[i];
                _count++;
            }
            return drop;
        }
    }

    private void DropFront(int n)
    {
        for (int i = 0; i < n; i++)
        {
            _items[_head] = null!;
            _head = (_head + 1) % _items.Length;
        }
        _count -= n;
    }

    private void EnsureSize(int needed)
    {
        if (needed <= _items.Length)
            return;
        int size = Math.Min(_capacity, Math.Max(needed, _items.Length * 2));
        var items = new byte[size][];
        for (int i = 0; i < _count; i++)
            items[i] = _items[(_head + i) % _items.Length];
        _items = items;
        _head = 0;
    }
}
