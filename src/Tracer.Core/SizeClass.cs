namespace Tracer.Core;

/// <summary>
/// Size classes are power-of-two lower bounds: a 40 KiB allocation is in class <c>32K</c>, 64 KiB in <c>64K</c>.
/// The class is stored as its base-2 exponent; exponent 0 also holds size 0.
/// </summary>
public static class SizeClass
{
    public static byte Of(ulong bytes) => bytes <= 1 ? (byte)0 : (byte)(63 - System.Numerics.BitOperations.LeadingZeroCount(bytes));

    private static readonly string[] s_labels = BuildLabels();

    private static string[] BuildLabels()
    {
        var labels = new string[64];
        for (int e = 0; e < 64; e++)
        {
            labels[e] = e switch
            {
                >= 60 => $"{1UL << (e - 60)}E",
                >= 50 => $"{1UL << (e - 50)}P",
                >= 40 => $"{1UL << (e - 40)}T",
                >= 30 => $"{1UL << (e - 30)}G",
                >= 20 => $"{1UL << (e - 20)}M",
                >= 10 => $"{1UL << (e - 10)}K",
                _ => $"{1UL << e}B",
            };
        }
        return labels;
    }

    public static string Label(byte exponent) => s_labels[exponent & 63];

    /// <summary>Parses a size such as <c>32K</c>, <c>1M</c>, <c>4096</c>, <c>2GiB</c> (binary multiples), as <see cref="Quantity"/> does.</summary>
    public static bool TryParseSize(string text, out ulong bytes) => Quantity.TryParseSize(text, out bytes);
}
