namespace Tracer.TestSupport;

/// <summary>One series from VictoriaMetrics' <c>/api/v1/export</c>: labels (with <c>__name__</c>), values, ms timestamps.</summary>
public sealed record VmSeries(
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<double> Values,
    IReadOnlyList<long> TimestampsMs)
{
    public string Name => Labels.TryGetValue("__name__", out var n) ? n : "";
}
