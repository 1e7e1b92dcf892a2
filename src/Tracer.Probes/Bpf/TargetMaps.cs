using Tracer.Native;
using Tracer.Native.Interop;

namespace Tracer.Probes;

/// <summary>
/// The processes the kernel side traces (<c>targets</c>: thread-group id to TARGET_ACTIVE or TARGET_AT_EXEC) and the
/// names whose processes become targets when they execute (<c>target_names</c>).
/// </summary>
internal sealed class TargetMaps
{
    private const byte TargetActive = 1, TargetAtExec = 2;

    private readonly BpfMap _targets;
    private readonly BpfMap _names;

    public TargetMaps(BpfObject obj)
    {
        _targets = obj.Map(BpfMaps.Targets);
        _names = obj.Map(BpfMaps.TargetNames);
    }

    public void Add(int pid) => _targets.Update<uint, byte>((uint)pid, TargetActive);

    /// <summary>Stops tracing a process (the collector itself, after calibrating on its own calls).</summary>
    public void Remove(int pid) => _targets.Delete((uint)pid);

    public void AddAtExec(int pid) => _targets.Update<uint, byte>((uint)pid, TargetAtExec);

    /// <summary>The kernel's comm: the name cut to 15 bytes, NUL padded.</summary>
    public void AddName(string name)
    {
        var key = new CommKey();
        var bytes = System.Text.Encoding.UTF8.GetBytes(name);
        bytes.AsSpan(0, Math.Min(bytes.Length, AllocEvent.CommLength - 1)).CopyTo(key);
        _names.Update(key, TargetActive);
    }

    [System.Runtime.CompilerServices.InlineArray(AllocEvent.CommLength)]
    private struct CommKey
    {
        private byte _first;
    }
}
