namespace Tracer.Alerts;

/// <summary>Where one rule stands for one series.</summary>
public enum AlertState
{
    /// <summary>The condition does not hold (or held and was resolved).</summary>
    Inactive,

    /// <summary>The condition holds but not yet for the rule's number of intervals.</summary>
    Pending,

    /// <summary>The condition held for the rule's number of intervals and has not been resolved.</summary>
    Firing,
}
