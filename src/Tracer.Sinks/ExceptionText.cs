namespace Tracer.Sinks;

/// <summary>One line for a failed request: every distinct message down the chain of inner exceptions.</summary>
internal static class ExceptionText
{
    public static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            var m = x.Message.Trim().TrimEnd('.');
            if (m.Length > 0 && !parts.Any(p => p.Contains(m, StringComparison.Ordinal)))
                parts.Add(m);
        }
        return parts.Count == 0 ? e.GetType().Name : string.Join(": ", parts);
    }
}
