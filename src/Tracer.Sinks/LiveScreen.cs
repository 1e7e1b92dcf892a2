using System.Globalization;
using System.Text;
using Tracer.Core;

namespace Tracer.Sinks;

/// <summary>
/// The live screen for a terminal, redrawn in place like top: a header with the collector's health, the series
/// of the last interval ordered by a chosen percentile, and the last slow calls as readable lines. It draws on
/// the terminal's alternate screen and gives the normal screen back when disposed, so what was there before
/// (and the run summary printed after) stays in the scrollback. Keys are read elsewhere and call
/// <see cref="NextOrder"/>, <see cref="TogglePause"/>; every method may be called from any thread.
/// </summary>
public sealed class LiveScreen : ISnapshotSink
{
    private const string EnterScreen = "\e[?1049h\e[?25l";
    private const string LeaveScreen = "\e[?25h\e[?1049l";
    private const string Home = "\e[H";
    private const string ClearLine = "\e[K";
    private const string ClearBelow = "\e[J";
    private const int SpikeLines = 8;

    private readonly TextWriter _output;
    private readonly Func<(int Width, int Height)> _size;
    private readonly TimeZoneInfo _timeZone;
    private readonly object _lock = new();
    private readonly Queue<EventPoint> _spikes = new();
    private IntervalSnapshot? _last;
    private long _runStartNs = -1, _spikeCount, _lost, _inflight, _sinkDropped;
    private bool _entered, _disposed;

    /// <param name="output">the terminal</param>
    /// <param name="size">the terminal's current size in columns and rows, asked at every redraw</param>
    /// <param name="target">what is traced, for the header</param>
    /// <param name="timeZone">for clock times (default: local)</param>
    public LiveScreen(TextWriter output, Func<(int Width, int Height)> size, string target, TimeZoneInfo? timeZone = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(size);
        _output = output;
        _size = size;
        Target = target;
        _timeZone = timeZone ?? TimeZoneInfo.Local;
    }

    public string Name => "screen";

    public string Target { get; }

    public SeriesOrder Order { get; private set; } = SeriesOrder.P999;

    /// <summary>While paused the screen stays as it is; intervals are still collected and written everywhere else.</summary>
    public bool Paused { get; private set; }

    public ValueTask WriteAsync(IntervalSnapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_lock)
        {
            if (_runStartNs < 0)
                _runStartNs = snapshot.StartUnixNs;
            _last = snapshot;
            _lost += snapshot.Stats.Lost;
            _inflight += snapshot.Stats.InflightDropped;
            _sinkDropped += snapshot.Stats.SinkDropped;
            foreach (var e in snapshot.Events)
            {
                if (e.Kind != EventKind.Spike)
                    continue;
                _spikeCount++;
                _spikes.Enqueue(e);
                if (_spikes.Count > SpikeLines)
                    _spikes.Dequeue();
            }
            if (!Paused)
                DrawLocked();
        }
        return ValueTask.CompletedTask;
    }

    public void NextOrder()
    {
        lock (_lock)
        {
            Order = SeriesRows.Next(Order);
            DrawLocked();
        }
    }

    public void TogglePause()
    {
        lock (_lock)
        {
            Paused = !Paused;
            DrawLocked();
        }
    }

    /// <summary>Draws again (after the terminal was resized).</summary>
    public void Redraw()
    {
        lock (_lock)
            DrawLocked();
    }

    public ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_disposed)
                return ValueTask.CompletedTask;
            _disposed = true;
            if (_entered)
            {
                _output.Write(LeaveScreen);
                _output.Flush();
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>The screen's lines for a terminal of the given size (without the control sequences).</summary>
    public IReadOnlyList<string> Render(int width, int height)
    {
        lock (_lock)
            return RenderLocked(Math.Max(width, 20), Math.Max(height, 6));
    }

    private void DrawLocked()
    {
        if (_disposed)
            return;
        var (width, height) = _size();
        var lines = RenderLocked(Math.Max(width, 20), Math.Max(height, 6));
        var sb = new StringBuilder(4096);
        if (!_entered)
        {
            sb.Append(EnterScreen);
            _entered = true;
        }
        sb.Append(Home);
        foreach (var line in lines)
            sb.Append(line).Append(ClearLine).Append("\r\n");
        // The last line ends without a newline, or a full screen would scroll.
        sb.Length -= 2;
        sb.Append(ClearBelow);
        _output.Write(sb.ToString());
        _output.Flush();
    }

    private List<string> RenderLocked(int width, int height)
    {
        var lines = new List<string>(height);
        var sb = new StringBuilder(256);
        var snapshot = _last;
        long end = snapshot?.EndUnixNs ?? 0;
        var clock = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(end / 1_000_000), _timeZone);
        double seconds = snapshot is null ? 0 : (snapshot.EndUnixNs - snapshot.StartUnixNs) / 1e9;
        long events = snapshot?.Stats.Events ?? 0;
        double rate = seconds > 0 ? events / seconds : events;
        var up = TimeSpan.FromMilliseconds(snapshot is null ? 0 : (end - _runStartNs) / 1_000_000);

        string inv(long v) => v.ToString(CultureInfo.InvariantCulture);
        Line(lines, sb, width,
            "alloclat " + clock.ToString("HH:mm:ss", CultureInfo.InvariantCulture), Paused ? " PAUSED" : "", "  up " + Elapsed(up),
            "  events/s " + HumanUnits.Count(rate), "  lost " + inv(_lost),
            "  drops " + inv(_inflight) + " inflight " + inv(_sinkDropped) + " sink",
            "  " + (snapshot?.Stats.ProbeCost is { } cost ? HumanUnits.ProbeCost(cost) : "probe cost unknown"));
        // The target (a whole command line, maybe) comes last, word by word, as far as the screen is wide.
        Line(lines, sb, width,
            ["series " + inv(snapshot?.Series.Count ?? 0), "  sorted by " + SeriesRows.Name(Order) + " ", " keys: s sort  p pause  q quit",
                "  tracing", .. ScreenText.Clean(Target).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => " " + w)],
            " ...");
        lines.Add("");

        int spikeRows = _spikes.Count == 0 ? 1 : _spikes.Count;
        // Header (3), the table's title row, a blank line, the spikes' title and rows.
        int tableRows = Math.Max(1, height - 3 - 1 - 2 - spikeRows);
        sb.Clear();
        SeriesRows.AppendHeader(sb, width);
        lines.Add(sb.ToString());
        var series = snapshot is null ? [] : SeriesRows.Sort(snapshot.Series, Order);
        if (series.Count == 0)
            lines.Add(snapshot is null ? "  (waiting for the first interval)" : "  (no call measured in this interval)");
        for (int i = 0; i < series.Count && i < tableRows; i++)
        {
            if (i == tableRows - 1 && series.Count > tableRows)
            {
                lines.Add($"  ... {series.Count - i} more series");
                break;
            }
            sb.Clear();
            SeriesRows.AppendRow(sb, series[i], width);
            lines.Add(sb.ToString());
        }
        while (lines.Count < height - 1 - spikeRows)
            lines.Add("");
        Line(lines, sb, width, "slow calls: " + inv(_spikeCount) + " this run, the last ones:");
        if (_spikes.Count == 0)
            lines.Add("  (none)");
        foreach (var spike in _spikes)
            lines.Add(SpikeLine.Format(spike, _timeZone, width));
        if (lines.Count > height)
            lines.RemoveRange(height, lines.Count - height);
        return lines;
    }

    private static void Line(List<string> lines, StringBuilder sb, int width, params string[] segments) =>
        Line(lines, sb, width, segments, "");

    private static void Line(List<string> lines, StringBuilder sb, int width, string[] segments, string more)
    {
        sb.Clear();
        ScreenText.AppendFitting(sb, 0, segments.Where(s => s.Length > 0), width, more);
        lines.Add(sb.ToString());
    }

    private static string Elapsed(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";
}
