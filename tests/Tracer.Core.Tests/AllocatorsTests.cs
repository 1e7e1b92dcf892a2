using Tracer.Core;

namespace Tracer.Core.Tests;

/// <summary>Allocator ids as carried in events: fixed ids for the known allocators, dynamic ones for the rest.</summary>
public class AllocatorsTests
{
    [Fact]
    public void TheFixedIdsHaveTheirNames()
    {
        Assert.Equal("kernel", Allocators.Name(Allocators.Kernel));
        Assert.Equal("glibc", Allocators.Name(Allocators.Glibc));
        Assert.Equal("go", Allocators.Name(Allocators.Go));
        Assert.Equal("dotnet", Allocators.Name(Allocators.Dotnet));
        Assert.Equal(Allocators.Jemalloc, Allocators.IdOf("jemalloc"));
        Assert.Equal("unknown", Allocators.Name(255));
    }

    [Fact]
    public void AnUnknownLibraryGetsOneDynamicIdForItsName()
    {
        string name = $"liballoc-{Guid.NewGuid():N}.so";
        byte id = Allocators.IdOf(name);
        Assert.True(id >= Allocators.FirstDynamic, $"id {id}");
        Assert.Equal(id, Allocators.IdOf(name));
        Assert.Equal(name, Allocators.Name(id));
        Assert.NotEqual(id, Allocators.IdOf(name + ".2"));
    }

    [Fact]
    public void RuntimeCodesThatNoTableNamesAreWrittenAsNumbers()
    {
        Assert.Equal("GCMarkTerm", GoStopReasons.Name(1));
        Assert.Equal("200", GoStopReasons.Name(200));
        Assert.Equal("Induced", DotnetGcNames.Reason(1));
        Assert.Equal("99", DotnetGcNames.Reason(99));
        Assert.Equal("Background", DotnetGcNames.Type(1));
        Assert.Equal("7", DotnetGcNames.Type(7));
    }
}
