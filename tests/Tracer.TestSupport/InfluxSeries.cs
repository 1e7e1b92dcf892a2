namespace Tracer.TestSupport;

/// <summary>One series of an InfluxQL answer. Values are long, double, string, bool or null; time is epoch ns.</summary>
public sealed record InfluxSeries(
    string Name,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<string> Columns,
    IReadOnlyList<IReadOnlyList<object?>> Values)
{
    /// <summary>Each row as column name to value.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object?>> Rows =>
        Values.Select(v => (IReadOnlyDictionary<string, object?>)Columns.Select((c, i) => (c, v[i])).ToDictionary(x => x.c, x => x.Item2))
            .ToList();
}
