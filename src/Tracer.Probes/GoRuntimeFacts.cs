namespace Tracer.Probes;

/// <summary>An amd64 register that carries a Go function's argument under the register ABI (Go 1.17+).</summary>
public enum GoRegister
{
    Rax = 0,
    Rbx = 1,
    Rcx = 2,
}

/// <summary>A large-object allocation function and the register holding its size argument.</summary>
public sealed record GoLargePath(string Function, GoRegister SizeRegister);

/// <summary>Where <c>startTheWorldWithSema</c> receives its <c>worldStop</c>'s reason and start time.</summary>
public sealed record GoWorldStopRegisters(GoRegister Reason, GoRegister Start);

/// <summary>
/// What alloclat relies on in one range of Go releases (from <see cref="Since"/> up to the next row): the
/// large-object path functions in order of preference, the stop-the-world pair, the register carrying
/// <c>stopTheWorldWithSema</c>'s <c>stwReason</c> where the release passes one, and the registers in which
/// <c>startTheWorldWithSema</c> receives the stop's reason and start time where it does (then one probe, at its
/// entry, measures the pause).
/// </summary>
public sealed record GoRuntimeFacts(
    Version Since,
    IReadOnlyList<GoLargePath> LargePath,
    string StopTheWorld,
    string StartTheWorld,
    GoRegister? StopReasonRegister,
    GoWorldStopRegisters? WorldStop)
{
    private const string StopWithSema = "runtime.stopTheWorldWithSema";
    private const string StartWithSema = "runtime.startTheWorldWithSema";
    private static readonly GoLargePath s_allocLarge = new("runtime.(*mcache).allocLarge", GoRegister.Rbx);
    private static readonly GoLargePath s_mallocgcLarge = new("runtime.mallocgcLarge", GoRegister.Rax);
    private static readonly GoWorldStopRegisters s_worldStop = new(GoRegister.Rbx, GoRegister.Rcx);

    /// <summary>
    /// One row per change. 1.17: register ABI; <c>(*mcache).allocLarge(c, size, noscan)</c>, size in RBX.
    /// 1.22: <c>stopTheWorldWithSema(reason stwReason) worldStop</c>, reason in AL, and
    /// <c>startTheWorldWithSema(now int64, w worldStop)</c> with <c>now</c> in RAX, <c>w.reason</c> in BL and the
    /// stop's <c>nanotime()</c> in RCX (<c>w.start</c>; from 1.23 <c>w.startedStopping</c>, still the second
    /// field). 1.24: <c>mallocgcLarge(size, typ, needzero)</c>, size in RAX, holds the whole large path (zeroing included). Supporting a new release that
    /// changes any of this is one more row.
    /// </summary>
    public static readonly IReadOnlyList<GoRuntimeFacts> Table =
    [
        new(new Version(1, 17), [s_allocLarge, s_mallocgcLarge], StopWithSema, StartWithSema, null, null),
        new(new Version(1, 22), [s_allocLarge, s_mallocgcLarge], StopWithSema, StartWithSema, GoRegister.Rax, s_worldStop),
        new(new Version(1, 24), [s_mallocgcLarge, s_allocLarge], StopWithSema, StartWithSema, GoRegister.Rax, s_worldStop),
    ];

    /// <summary>The oldest release supported: the first with the register ABI on amd64.</summary>
    public static Version Oldest => Table[0].Since;

    /// <summary>The row for <paramref name="version"/>, or null before <see cref="Oldest"/>.</summary>
    public static GoRuntimeFacts? For(Version version) => Table.LastOrDefault(r => version >= r.Since);
}
