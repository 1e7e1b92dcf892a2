using System.Text;

namespace Tracer.TestSupport;

/// <summary>A thread-safe <see cref="TextWriter"/> that keeps what was written, for asserting on log output.</summary>
public sealed class CapturingWriter : TextWriter
{
    private readonly StringBuilder _text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_text)
            _text.Append(value);
    }

    public override void Write(string? value)
    {
        lock (_text)
            _text.Append(value);
    }

    public override void WriteLine(string? value)
    {
        lock (_text)
            _text.Append(value).Append('\n');
    }

    public string Text
    {
        get { lock (_text) return _text.ToString(); }
    }

    public IReadOnlyList<string> Lines => Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => Text;
}
