namespace Tracer.Core;

/// <summary>What an <see cref="EventPoint"/> is, so a sink can show each kind its own way without reading names.</summary>
public enum EventKind
{
    /// <summary>Any other point: written as it is, listed generically.</summary>
    Other = 0,

    /// <summary>An alert rule's transition.</summary>
    Alert,

    /// <summary>A slow call with its causes and stack.</summary>
    Spike,

    /// <summary>The run summary, written once when the run ends.</summary>
    RunSummary,
}
