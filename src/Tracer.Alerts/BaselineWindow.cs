namespace Tracer.Alerts;

/// <summary>
/// The last N good values of one series (a ring), and their median. The median rather than the mean: one slow
/// interval among thirty must not lift the baseline that the next slow interval is judged against.
/// </summary>
public sealed class BaselineWindow
{
    private readonly long[] _values;
    private readonly long[] _scratch;
    private int _next;

    public BaselineWindow(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _values = new long[capacity];
        _scratch = new long[capacity];
    }

    public int Count { get; private set; }

    public void Add(long value)
    {
        _values[_next] = value;
        _next = (_next + 1) % _values.Length;
        if (Count < _values.Length)
            Count++;
    }

    /// <summary>The median of the values held (the lower middle one for an even count); null when empty.</summary>
    public long? Median()
    {
        if (Count == 0)
            return null;
        var span = _scratch.AsSpan(0, Count);
        _values.AsSpan(0, Count).CopyTo(span);
        span.Sort();
        return span[(Count - 1) / 2];
    }
}
