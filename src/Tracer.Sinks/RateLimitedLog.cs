namespace Tracer.Sinks;

/// <summary>
/// One-line log messages to a <see cref="TextWriter"/>, at most one per key per interval: a database that is
/// down for an hour must not print an error every second. Suppressed repeats are counted and mentioned the
/// next time the key is printed.
/// </summary>
internal sealed class RateLimitedLog
{
    private readonly TextWriter _writer;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly object _gate = new();
    private readonly Dictionary<string, (DateTimeOffset Last, int Suppressed)> _keys = new(StringComparer.Ordinal);

    public RateLimitedLog(TextWriter writer, TimeSpan interval, TimeProvider time, string prefix)
    {
        _writer = writer;
        _interval = interval;
        _time = time;
        _prefix = prefix;
    }

    /// <summary>Prints <paramref name="message"/> unless the same key was printed less than an interval ago.</summary>
    public bool Write(string key, string message)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            int suppressed = 0;
            if (_keys.TryGetValue(key, out var entry))
            {
                if (now - entry.Last < _interval)
                {
                    _keys[key] = (entry.Last, entry.Suppressed + 1);
                    return false;
                }
                suppressed = entry.Suppressed;
            }
            _keys[key] = (now, 0);
            Emit(suppressed == 0 ? message : $"{message} ({suppressed} similar message{(suppressed == 1 ? "" : "s")} suppressed)");
            return true;
        }
    }

    /// <summary>Prints unconditionally (state changes and shutdown reports, which happen once).</summary>
    public void WriteAlways(string message)
    {
        lock (_gate)
            Emit(message);
    }

    /// <summary>Forgets a key so that its next occurrence prints at once (after the condition cleared).</summary>
    public void Reset(string key)
    {
        lock (_gate)
            _keys.Remove(key);
    }

    private void Emit(string message)
    {
        // One event, one line: server messages may carry newlines.
        var line = _prefix + message.ReplaceLineEndings(" ");
        try
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
