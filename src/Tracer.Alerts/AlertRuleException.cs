namespace Tracer.Alerts;

/// <summary>A rule that cannot be parsed; the message is one line naming what is wrong.</summary>
public sealed class AlertRuleException : FormatException
{
    public AlertRuleException(string message) : base(message)
    {
    }
}
