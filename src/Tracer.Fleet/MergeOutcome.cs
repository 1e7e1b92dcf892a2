namespace Tracer.Fleet;

/// <summary>What became of one message offered to a <see cref="FleetWindows"/>.</summary>
public enum MergeOutcome
{
    /// <summary>Added to its window.</summary>
    Merged,

    /// <summary>The same host, sequence and process were already merged into this window: counted once.</summary>
    Duplicate,

    /// <summary>Its window was already closed (written): not merged, counted.</summary>
    Late,
}
