// Known GC work for the tracer's tests. Every mode first opens GATE for reading (a FIFO: the open blocks until
// the test opens it for writing, once the tracer is attached); "-" starts at once.
//   induced GATE GEN0 GEN2 LARGE SIZE PINNED  GEN0 blocking gen-0 and GEN2 blocking gen-2 induced collections,
//                                             then LARGE byte arrays of SIZE (large object heap) and PINNED
//                                             pinned ones, all kept alive; prints the collections per generation
//   alloclarge GATE COUNT SIZE                COUNT byte arrays of SIZE, each dropped at once: the large object
//                                             heap's budget runs out and collections with reason AllocLarge follow
//   small GATE COUNT                          COUNT small objects, dropped at once; prints the elapsed ns
using System.Diagnostics;
using System.Runtime;

static void Gate(string path)
{
    if (path != "-")
        using (File.OpenRead(path)) { }
}

// Collections that collected exactly generation 0, 1 and 2 (CollectionCount(n) counts those of n and above).
static int[] Collections() =>
    [GC.CollectionCount(0) - GC.CollectionCount(1), GC.CollectionCount(1) - GC.CollectionCount(2), GC.CollectionCount(2)];

var keep = new List<byte[]>();
switch (args[0])
{
    case "induced":
    {
        Gate(args[1]);
        int gen0 = int.Parse(args[2]), gen2 = int.Parse(args[3]), large = int.Parse(args[4]), size = int.Parse(args[5]), pinned = int.Parse(args[6]);
        int[] before = Collections();
        for (int i = 0; i < gen0; i++)
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        for (int i = 0; i < gen2; i++)
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        int[] after = Collections();
        // The runtime may promote a requested gen-0 collection to gen 1: report what it did, generation by generation.
        Console.WriteLine($"induced gen0 {after[0] - before[0]} gen1 {after[1] - before[1]} gen2 {after[2] - before[2]}");
        for (int i = 0; i < large; i++)
            keep.Add(new byte[size]);
        for (int i = 0; i < pinned; i++)
            keep.Add(GC.AllocateArray<byte>(size, pinned: true));
        break;
    }
    case "alloclarge":
    {
        Gate(args[1]);
        int count = int.Parse(args[2]), size = int.Parse(args[3]);
        byte[]? last = null;
        for (int i = 0; i < count; i++)
            last = new byte[size];
        GC.KeepAlive(last);
        Console.WriteLine($"collections gen2 {GC.CollectionCount(2)}");
        break;
    }
    case "small":
    {
        Gate(args[1]);
        long count = long.Parse(args[2]);
        var sw = Stopwatch.StartNew();
        object? last = null;
        for (long i = 0; i < count; i++)
            last = new byte[32 + (int)(i & 63)];
        GC.KeepAlive(last);
        Console.WriteLine($"elapsed_ns {sw.Elapsed.Ticks * 100}");
        break;
    }
    default:
        Console.Error.WriteLine($"unknown mode {args[0]}");
        return 2;
}
return 0;
