using Tracer.Native;

namespace Tracer.Probes;

/// <summary>
/// The ring the hold hooks write a record to for each process they stop (<c>held_wakeups</c>), read without a
/// watermark, so the polling thread wakes as a process is held, not at its next poll timeout: a forked child or a
/// new image waits for its probes only as long as placing them takes. The records themselves say nothing more: the
/// <c>held</c> map, read after every poll, is who is held.
/// </summary>
internal sealed class HoldWakeups : IPerfSampleHandler, IDisposable
{
    public HoldWakeups(BpfObject obj) => Reader = new PerfBufferReader(obj.Map(BpfMaps.HeldWakeups), 1, this, batched: false);

    public PerfBufferReader Reader { get; }

    public void OnSample(int cpu, ReadOnlySpan<byte> data)
    {
    }

    // A lost wakeup delays no one past the next poll: the map is read then.
    public void OnLost(int cpu, ulong count)
    {
    }

    public void Dispose() => Reader.Dispose();
}
