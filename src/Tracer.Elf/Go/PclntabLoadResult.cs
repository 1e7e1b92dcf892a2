namespace Tracer.Elf.Go;

/// <summary>Outcome of looking for a pclntab: the table, or why there is none.</summary>
internal sealed record PclntabLoadResult(GoPclntab? Table, string? Failure);
