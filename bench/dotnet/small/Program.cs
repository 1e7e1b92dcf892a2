// Only small allocations (16 B to 4 KiB byte arrays, far below the large object heap's 85,000 bytes): what a tracer
// costs a .NET program whose collections are all gen-0 AllocSmall ones.
//
//	dotnetsmall COUNT    prints "loop_ns <ns>"
//
// With BENCH_HOLD set it waits for a line on standard input before its loop, so a tracer can attach first.
using System.Diagnostics;

if (args.Length != 1 || !long.TryParse(args[0], out long count))
{
    Console.Error.WriteLine("usage: dotnetsmall COUNT");
    return 2;
}
if (Environment.GetEnvironmentVariable("BENCH_HOLD") is not null && Console.ReadLine() is null)
    return 3;
byte[]? sink = null;
long start = Stopwatch.GetTimestamp();
for (long i = 0; i < count; i++)
{
    var b = new byte[16 << (int)(i % 9)];
    b[0] = (byte)i;
    sink = b;
}
long ns = (long)Stopwatch.GetElapsedTime(start).TotalNanoseconds;
GC.KeepAlive(sink);
Console.WriteLine($"loop_ns {ns}");
return 0;
