using Tracer.Core;

namespace Tracer.Alerts;

/// <summary>
/// A condition on a series a rule applies to: <c>op=mmap</c>, <c>comm!=java</c>. The key <c>measurement</c>
/// matches the series' measurement (<c>alloc_latency</c>, <c>gc_pause</c>), <c>host</c> the snapshot's host, any
/// other key a tag of the series; a series without that tag matches only a <c>!=</c> filter.
/// </summary>
public sealed record AlertFilter(string Key, string Value, bool Negated)
{
    public bool Matches(SeriesSnapshot series, string host)
    {
        string? actual = Key switch
        {
            "measurement" => series.Measurement,
            "host" => host,
            _ => series.Tag(Key),
        };
        bool equal = string.Equals(actual, Value, StringComparison.Ordinal);
        return Negated ? !equal : equal;
    }

    public override string ToString() => $"{Key}{(Negated ? "!=" : "=")}{Value}";
}
