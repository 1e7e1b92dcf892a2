using Tracer.Core;
using Tracer.DotNet;

namespace Tracer.DotNet.Tests;

/// <summary>Event sequences as the runtime emits them, pause by pause (times in ms, as TraceEvent gives them).</summary>
public class GcPauseTrackerTests
{
    private const int Induced = 1, AllocLarge = 4, AllocSmall = 0;
    private const int NonConcurrent = 0, Background = 1, Foreground = 2;

    [Fact]
    public void ABlockingCollectionIsOnePauseFromSuspendStartToRestartEnd()
    {
        var t = new GcPauseTracker();
        t.SuspendStart(100.0, GcPauseTracker.SuspendForGC);
        t.GcStart(2, Induced, NonConcurrent);
        t.GcEnd(2);
        Assert.True(t.RestartEnd(101.25, out var kind, out long ns));
        Assert.Equal(new GcKind(true, 2, Induced, NonConcurrent), kind);
        Assert.Equal(1_250_000, ns);
    }

    [Fact]
    public void ABackgroundCollectionPausesTwiceAndForegroundOnesBetweenAreTheirOwn()
    {
        var t = new GcPauseTracker();
        var bgc = new GcKind(true, 2, AllocLarge, Background);
        t.SuspendStart(0, GcPauseTracker.SuspendForGC);
        t.GcStart(2, AllocLarge, Background);
        Assert.True(t.RestartEnd(0.5, out var first, out _));
        Assert.Equal(bgc, first);

        t.SuspendStart(1, GcPauseTracker.SuspendForGC);
        t.GcStart(0, AllocSmall, Foreground);
        t.GcEnd(0);
        Assert.True(t.RestartEnd(1.1, out var foreground, out _));
        Assert.Equal(new GcKind(true, 0, AllocSmall, Foreground), foreground);

        // The final mark: suspended for the background collection, with no GCStart of its own.
        t.SuspendStart(2, GcPauseTracker.SuspendForGCPrep);
        Assert.True(t.RestartEnd(2.3, out var last, out long ns));
        Assert.Equal(bgc, last);
        Assert.Equal(300_000, ns);
        t.GcEnd(2);

        t.SuspendStart(3, GcPauseTracker.SuspendForGCPrep);
        Assert.False(t.RestartEnd(3.1, out _, out _));
    }

    [Fact]
    public void SuspensionsNotForACollectionAreNotPauses()
    {
        var t = new GcPauseTracker();
        const int SuspendForDebugger = 5;
        t.SuspendStart(0, SuspendForDebugger);
        Assert.False(t.RestartEnd(1, out _, out _));
    }

    [Fact]
    public void APauseWhoseCollectionBeganBeforeTheSessionIsNotCounted()
    {
        var t = new GcPauseTracker();
        Assert.False(t.RestartEnd(1, out _, out _));
        t.SuspendStart(2, GcPauseTracker.SuspendForGC);
        Assert.False(t.RestartEnd(3, out _, out _));
    }
}
