namespace Tracer.Probes;

/// <summary>
/// What <see cref="ProbeCostTracker"/> measured: the CPUs it visited, the figures it took, and their range (the
/// emulated and the single-stepped entry's; meaningful when <paramref name="Updates"/> is above zero).
/// </summary>
public sealed record ProbeCostTracking(IReadOnlyList<int> Cpus, long Updates, long MinBiasNs, long MaxBiasNs, long MinSteppedBiasNs, long MaxSteppedBiasNs);
