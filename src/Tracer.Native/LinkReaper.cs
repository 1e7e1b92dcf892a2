using System.Collections.Concurrent;

namespace Tracer.Native;

/// <summary>
/// Detaches links on threads of its own: the probes of a process that exited are removed while tracing goes on.
/// Each uprobe link's removal waits for a kernel grace period, so this work must never run on the polling thread;
/// the removals made from several threads at once share their grace periods (uprobe_multi links: 64 links closed
/// from 8 threads took 6 ms a link here, from 1 thread 50 ms). <see cref="Stop"/> gives the links not yet begun back
/// to their owner, which detaches the rest; a link added after it is detached at once, on the caller's thread.
/// </summary>
internal sealed class LinkReaper : IDisposable
{
    private readonly BlockingCollection<BpfLink> _queue = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread[] _threads;
    private const int Threads = 8;
    private bool _stopped;

    public LinkReaper()
    {
        _threads = Enumerable.Range(0, Threads).Select(_ => new Thread(Run) { IsBackground = true, Name = "alloclat-reaper" }).ToArray();
        foreach (var t in _threads)
            t.Start();
    }

    public void Add(IEnumerable<BpfLink> links)
    {
        foreach (var link in links)
        {
            lock (_queue)
            {
                if (!_stopped)
                {
                    _queue.Add(link);
                    continue;
                }
            }
            link.Dispose();
        }
    }

    private void Run()
    {
        try
        {
            foreach (var link in _queue.GetConsumingEnumerable(_stop.Token))
            {
                link.Dispose();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Stops the threads once the links they are detaching are detached, and returns the queued links none of them
    /// began (empty when called again).
    /// </summary>
    public List<BpfLink> Stop()
    {
        lock (_queue)
        {
            if (_stopped)
                return [];
            _stopped = true;
        }
        _stop.Cancel();
        foreach (var t in _threads)
            t.Join();
        var pending = new List<BpfLink>();
        while (_queue.TryTake(out var link))
            pending.Add(link);
        return pending;
    }

    /// <summary>Stops, and detaches here what was still queued.</summary>
    public void Dispose()
    {
        foreach (var link in Stop())
            link.Dispose();
        _queue.Dispose();
        _stop.Dispose();
    }
}
