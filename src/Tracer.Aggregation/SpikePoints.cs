using System.Globalization;
using Tracer.Core;

namespace Tracer.Aggregation;

/// <summary>Slow calls as <c>alloc_spike</c> points (docs/schema.md), stamped with the time each call returned.</summary>
public static class SpikePoints
{
    public static EventPoint From(SlowCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var b = call.Breakdown;
        var fields = new List<KeyValuePair<string, FieldValue>>(24)
        {
            new(Schema.Fields.Latency, b.Latency),
            new(Schema.Fields.Size, (long)call.Size),
            new(Schema.Fields.ReclaimNs, b.Reclaim),
            new(Schema.Fields.CompactionNs, b.Compaction),
        };
        if (call.MmapLockMeasured)
            fields.Add(new(Schema.Fields.MmapLockNs, b.MmapLock));
        if (!b.Moved)
        {
            fields.Add(new(Schema.Fields.OnCpuNs, b.OnCpu));
            fields.Add(new(Schema.Fields.OffCpuNs, b.OffCpu));
            if (call.RunQueueKnown)
                fields.Add(new(Schema.Fields.RunqueueNs, b.RunQueue));
            fields.Add(new(Schema.Fields.BlockedNs, b.Blocked));
            if (call.DelayAccounting)
            {
                fields.Add(new(Schema.Fields.SwapinNs, b.SwapIn));
                fields.Add(new(Schema.Fields.ThrashingNs, b.Thrashing));
                fields.Add(new(Schema.Fields.IoNs, b.BlockIo));
            }
            fields.Add(new(Schema.Fields.Faults, b.Faults));
            fields.Add(new(Schema.Fields.MajorFaults, b.MajorFaults));
            fields.Add(new(Schema.Fields.VoluntarySwitches, b.VoluntarySwitches));
            fields.Add(new(Schema.Fields.InvoluntarySwitches, b.InvoluntarySwitches));
        }
        fields.Add(new(Schema.Fields.DelayAccounting, call.DelayAccounting));
        fields.Add(new(Schema.Fields.Moved, b.Moved));
        fields.Add(new(Schema.Fields.Tid, (long)call.Tid));
        fields.Add(new(Schema.Fields.Stack, call.Stack));
        return new EventPoint(Schema.Measurements.Spike,
            [
                new(Schema.Tags.Allocator, Allocators.Name(call.Allocator)),
                new(Schema.Tags.Cause, b.Cause),
                new(Schema.Tags.Comm, call.Comm),
                new(Schema.Tags.Op, AllocOps.Name(call.Op)),
                new(Schema.Tags.Pid, call.Pid.ToString(CultureInfo.InvariantCulture)),
                new(Schema.Tags.SizeClass, SizeClass.Label(SizeClass.Of(call.Size))),
            ],
            fields)
        {
            TimestampUnixNs = call.TimestampUnixNs,
            Kind = EventKind.Spike,
        };
    }

    /// <summary>The interval's slow calls as points, followed by the source's other points.</summary>
    public static IReadOnlyList<EventPoint> With(IReadOnlyList<SlowCall> calls, IReadOnlyList<EventPoint> others)
    {
        if (calls.Count == 0)
            return others;
        var all = new List<EventPoint>(calls.Count + others.Count);
        foreach (var c in calls)
            all.Add(From(c));
        all.AddRange(others);
        return all;
    }
}
