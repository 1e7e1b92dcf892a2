namespace Alloclat.Tests;

/// <summary>How many page faults the kernel takes to populate an anonymous mapping on this host.</summary>
public static class Populating
{
    public const long PageSize = 4096;
    private const long HugePage = 2 << 20;

    /// <summary>
    /// Every 4 KiB page once, unless transparent huge pages are in "always" mode: then each 2 MiB-aligned stretch
    /// may be one fault, so anything from one fault per huge page to one per page.
    /// </summary>
    public static FaultRange FaultsFor(long bytes)
    {
        long pages = (bytes + PageSize - 1) / PageSize;
        string thp = File.Exists(ThpPath) ? File.ReadAllText(ThpPath) : "";
        return thp.Contains("[always]", StringComparison.Ordinal) ? new(bytes / HugePage, pages) : new(pages, pages);
    }

    private const string ThpPath = "/sys/kernel/mm/transparent_hugepage/enabled";
}

public readonly record struct FaultRange(long Min, long Max)
{
    public bool Contains(long faults) => faults >= Min && faults <= Max;
}
