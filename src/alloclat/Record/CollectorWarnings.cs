using Tracer.Core;

namespace Alloclat.Cli.Record;

/// <summary>
/// Warnings from the collector's own counters, each said once in a run: a counter that says tracing is incomplete
/// (such as the kernel's target table being full) must not stay a number in <c>alloclat_stats</c> alone.
/// </summary>
internal sealed class CollectorWarnings(TextWriter err)
{
    private bool _targetsFull;

    public void Observe(in CollectorStats stats)
    {
        if (stats.TargetsFull > 0 && !_targetsFull)
        {
            _targetsFull = true;
            err.WriteLine($"[WARN] the kernel's target table is full: {stats.TargetsFull} processes or threads started by targets are not followed (counted in alloclat_stats.{Schema.Fields.TargetsFull})");
        }
    }
}
