namespace Tracer.Core;

/// <summary>
/// A point that is not a latency summary: an alert transition, a spike, anything a stage before the sinks
/// adds to an interval. Sinks write it with the snapshot's host tag and the interval's end as its timestamp.
/// </summary>
/// <param name="Measurement">Measurement name, e.g. <c>alert</c>.</param>
/// <param name="Tags">Tags sorted by key (ordinal); <c>host</c> is added by the sink.</param>
/// <param name="Fields">At least one field, in the order they are written.</param>
public sealed record EventPoint(
    string Measurement,
    IReadOnlyList<KeyValuePair<string, string>> Tags,
    IReadOnlyList<KeyValuePair<string, FieldValue>> Fields)
{
    /// <summary>
    /// When the event happened (Unix nanoseconds). Null: at the end of the interval that carries it, like the
    /// latency points. Events of one series within one interval need their own times, or a database keeps one.
    /// </summary>
    public long? TimestampUnixNs { get; init; }

    /// <summary>What the point is, set by the stage that made it; a point read back from a file is <see cref="EventKind.Other"/>.</summary>
    public EventKind Kind { get; init; }

    public string? Tag(string key)
    {
        foreach (var t in Tags)
            if (t.Key == key)
                return t.Value;
        return null;
    }

    public FieldValue? Field(string key)
    {
        foreach (var f in Fields)
            if (f.Key == key)
                return f.Value;
        return null;
    }
}
