using System.Text.RegularExpressions;

namespace Alloclat.Cli.Report;

/// <summary>
/// Folded stacks (<c>main;run;__mmap</c>, outermost first) merged into a tree weighted by the latency of the slow
/// calls that had them: a frame's width is the share of slow-call time spent below it.
/// </summary>
public sealed partial class FlameGraph
{
    public sealed class Frame(string name)
    {
        public string Name { get; } = name;
        public long Weight { get; set; }
        public List<Frame> Children { get; } = [];
        public Frame Child(string name)
        {
            foreach (var c in Children)
                if (c.Name == name)
                    return c;
            var f = new Frame(name);
            Children.Add(f);
            return f;
        }
    }

    // main+0x8a is main; [libfoo.so+0x1234] stays as it is (no symbol to merge on).
    [GeneratedRegex(@"^(?<fn>[^\[].*?)\+0x[0-9a-fA-F]+$")]
    private static partial Regex Offset();

    public Frame Root { get; } = new("all");

    public int Stacks { get; private set; }

    public void Add(string folded, long weight)
    {
        if (weight <= 0)
            return;
        Stacks++;
        var node = Root;
        node.Weight += weight;
        foreach (var raw in folded.Length == 0 ? ["[no stack]"] : folded.Split(';'))
        {
            var m = Offset().Match(raw);
            node = node.Child(m.Success ? m.Groups["fn"].Value : raw);
            node.Weight += weight;
        }
    }

    public int Depth => DepthOf(Root);

    private static int DepthOf(Frame f) => 1 + (f.Children.Count == 0 ? 0 : f.Children.Max(DepthOf));
}
