using System.Text;

namespace Tracer.Sinks.Tests;

public class LineQueueTests
{
    private static List<byte[]> Lines(int from, int count)
        => Enumerable.Range(from, count).Select(i => Encoding.ASCII.GetBytes($"l{i}\n")).ToList();

    private static List<string> Texts(IEnumerable<byte[]> lines) => lines.Select(l => Encoding.ASCII.GetString(l).TrimEnd('\n')).ToList();

    private static List<string> Drain(LineQueue queue)
    {
        var all = new List<byte[]>();
        queue.Take(all, int.MaxValue);
        return Texts(all);
    }

    [Fact]
    public void Overflow_DropsOldest_AndCountsExactly()
    {
        var queue = new LineQueue(5);
        Assert.Equal(0, queue.Enqueue(Lines(0, 3)));
        Assert.Equal(1, queue.Enqueue(Lines(3, 3)));
        Assert.Equal(3, queue.Enqueue(Lines(6, 3)));
        Assert.Equal(5, queue.Count);
        Assert.Equal(["l4", "l5", "l6", "l7", "l8"], Drain(queue));
    }

    [Fact]
    public void OneWriteLargerThanCapacity_KeepsItsNewestLines()
    {
        var queue = new LineQueue(4);
        queue.Enqueue(Lines(0, 2));
        Assert.Equal(2 + 6, queue.Enqueue(Lines(2, 10)));
        Assert.Equal(["l8", "l9", "l10", "l11"], Drain(queue));
    }

    [Fact]
    public void Take_IsFifo_AndBoundedByMax()
    {
        var queue = new LineQueue(100);
        queue.Enqueue(Lines(0, 7));
        var batch = new List<byte[]>();
        Assert.Equal(3, queue.Take(batch, 3));
        Assert.Equal(["l0", "l1", "l2"], Texts(batch));
        Assert.Equal(4, queue.Count);
    }

    [Fact]
    public void ReturnToFront_RestoresOrder_AndTrimsOldestBeyondCapacity()
    {
        var queue = new LineQueue(6);
        queue.Enqueue(Lines(0, 4));
        var batch = new List<byte[]>();
        queue.Take(batch, 4);
        queue.Enqueue(Lines(4, 4));

        // l0 and l1 were delivered; l2 and l3 failed and go back ahead of the newer lines, which fits exactly.
        int dropped = queue.ReturnToFront(batch, 2);
        Assert.Equal(0, dropped);
        Assert.Equal(["l2", "l3", "l4", "l5", "l6", "l7"], Drain(queue));

        queue.Enqueue(Lines(10, 5));
        batch.Clear();
        queue.Take(batch, 5);
        queue.Enqueue(Lines(20, 4));
        Assert.Equal(3, queue.ReturnToFront(batch, 0));
        Assert.Equal(["l13", "l14", "l20", "l21", "l22", "l23"], Drain(queue));
    }

    [Fact]
    public void ManyWrapArounds_KeepFifoOrder()
    {
        var queue = new LineQueue(1500);
        var expected = new List<string>();
        var got = new List<string>();
        int next = 0;
        for (int round = 0; round < 50; round++)
        {
            var lines = Lines(next, 37);
            next += 37;
            queue.Enqueue(lines);
            expected.AddRange(Texts(lines));
            var batch = new List<byte[]>();
            queue.Take(batch, 29);
            got.AddRange(Texts(batch));
        }
        got.AddRange(Drain(queue));
        Assert.Equal(expected, got);
    }
}
