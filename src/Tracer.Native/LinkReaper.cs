using System.Collections.Concurrent;

namespace Tracer.Native;

/// <summary>
/// Detaches links on threads of its own: the probes of a process that exited are removed while tracing goes on.
/// Each uprobe link's removal waits for a kernel grace period, so this work must never run on the polling thread;
/// the removals made from several threads at once share their grace periods (uprobe_multi links: 64 links closed
/// from 8 threads took 6 ms a link here, from 1 thread 50 ms). On dispose, links not yet detached are left to their
/// owner (<see cref="TakePending"/>), which detaches the rest.
/// </summary>
internal sealed class LinkReaper : IDisposable
{
    private readonly BlockingCollection<BpfLink> _queue = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread[] _threads;
    private const int Threads = 8;

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
            // After dispose, the caller detaches: nothing is left behind unqueued.
            if (!_queue.TryAdd(link))
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

    /// <summary>After <see cref="Dispose"/>: the links queued that no thread got to.</summary>
    public List<BpfLink> TakePending()
    {
        var pending = new List<BpfLink>();
        while (_queue.TryTake(out var link))
            pending.Add(link);
        return pending;
    }

    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
            return;
        _stop.Cancel();
        foreach (var t in _threads)
            t.Join();
        _queue.CompleteAdding();
    }
}
