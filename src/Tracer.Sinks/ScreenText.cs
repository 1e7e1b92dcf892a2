using System.Text;

namespace Tracer.Sinks;

/// <summary>Text for a terminal: no control characters from the data, and lines that end between tokens.</summary>
internal static class ScreenText
{
    /// <summary>Replaces control characters (which would move the cursor or break a line) with <c>?</c>.</summary>
    public static string Clean(string text)
    {
        foreach (char c in text)
        {
            if (char.IsControl(c))
                return string.Create(text.Length, text, static (span, t) =>
                {
                    for (int i = 0; i < t.Length; i++)
                        span[i] = char.IsControl(t[i]) ? '?' : t[i];
                });
        }
        return text;
    }

    /// <summary>
    /// Appends whole segments to <paramref name="sb"/> while the line stays within <paramref name="width"/>; a
    /// segment that would cross the edge and every one after it are left out, replaced by
    /// <paramref name="more"/> when that fits. Nothing is ever cut in the middle.
    /// </summary>
    public static void AppendFitting(StringBuilder sb, int lineStart, IEnumerable<string> segments, int width, string more)
    {
        foreach (var segment in segments)
        {
            int used = sb.Length - lineStart;
            if (used + segment.Length <= width)
            {
                sb.Append(segment);
                continue;
            }
            if (used + more.Length <= width)
                sb.Append(more);
            return;
        }
    }
}
