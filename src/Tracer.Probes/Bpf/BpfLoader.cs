using System.Reflection;
using Tracer.Native;
using Tracer.Native.Interop;

namespace Tracer.Probes;

/// <summary>
/// Opens the kernel side embedded in this assembly (bpf/*.bpf.c linked into alloclat.bpf.o), writes its
/// load-time configuration into <c>.rodata</c> and loads it. Nothing is attached, so nothing runs yet.
/// </summary>
internal static class BpfLoader
{
    private const string ResourceName = "alloclat.bpf.o";

    /// <summary>The configuration the programs are verified and run with (<c>struct alloclat_config</c>).</summary>
    public static AllocConfig ConfigFor(ProbeOptions options) => new()
    {
        MinSize = options.MinSize,
        FilterPids = FiltersPids(options) ? 1u : 0u,
        FollowForks = options.FollowForks ? 1u : 0u,
        TargetInode = options.Binary?.Inode ?? 0,
        TargetDevice = options.Binary?.Device ?? 0,
        StopOnExec = options.StopOnExec ? 1u : 0u,
        StopOnFork = options.StopOnFork && FiltersPids(options) ? 1u : 0u,
        SpikeThresholdNs = options.SpikeThresholdNs,
    };

    /// <summary>Whether only processes in the <c>targets</c> map are traced (a <c>--binary</c> fills it at exec).</summary>
    public static bool FiltersPids(ProbeOptions options) => options.FilterPids || options.Binary is not null;

    public static BpfObject Load(ProbeOptions options)
    {
        var obj = BpfObject.Open(EmbeddedObject(), "alloclat", options.BtfPath);
        try
        {
            obj.SetReadOnlyData(ConfigFor(options));
            obj.SetMaxEntries(BpfMaps.Targets, options.MaxTargets);
            obj.Load();
            return obj;
        }
        catch
        {
            obj.Dispose();
            throw;
        }
    }

    /// <summary>The compiled kernel side, embedded in this assembly at build time.</summary>
    public static byte[] EmbeddedObject()
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not embedded in Tracer.Probes");
        var bytes = new byte[s.Length];
        s.ReadExactly(bytes);
        return bytes;
    }
}
