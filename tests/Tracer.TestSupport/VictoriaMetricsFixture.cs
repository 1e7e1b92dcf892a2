using System.Globalization;
using System.Text.Json;
using Xunit;

namespace Tracer.TestSupport;

/// <summary>
/// A real VictoriaMetrics (<c>victoria-metrics</c>, Debian package <c>victoria-metrics</c>) on 127.0.0.1 with
/// its storage in a fresh temporary folder. It accepts line protocol on <c>/write</c> and
/// <c>/api/v2/write</c>, turning <c>m,tag=x f=1</c> into metric <c>m_f{tag="x"}</c>; read it back with
/// <see cref="ExportAsync"/>. It binds port 0 and is asked for its port; nothing restarts it.
/// </summary>
public sealed class VictoriaMetricsFixture : LoopbackServerFixture
{
    public VictoriaMetricsFixture() : base("victoria-metrics", "apt-get install -y victoria-metrics", ServerPort.AnyFree)
    {
    }

    protected override IReadOnlyList<string> Arguments() =>
    [
        "-httpListenAddr", $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}",
        "-storageDataPath", Path.Combine(Directory, "data"),
        "-loggerLevel", "ERROR",
        "-search.disableCache",
        "-search.latencyOffset", "0s",
    ];

    protected override async Task<bool> IsReadyAsync() =>
        (await Http.GetStringAsync(new Uri(Url, "health")).ConfigureAwait(false)).Trim() == "OK";

    /// <summary>Makes recently ingested samples searchable (otherwise they show up after about a second).</summary>
    public async Task ForceFlushAsync()
    {
        using var response = await Http.GetAsync(new Uri(Url, "internal/force_flush")).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Flushes, then exports every series matching <paramref name="seriesSelector"/>, e.g. <c>{__name__=~"m_.*"}</c>.</summary>
    public async Task<IReadOnlyList<VmSeries>> ExportAsync(string seriesSelector)
    {
        await ForceFlushAsync().ConfigureAwait(false);
        using var content = new FormUrlEncodedContent([new KeyValuePair<string, string>("match[]", seriesSelector)]);
        using var response = await Http.PostAsync(new Uri(Url, "api/v1/export"), content).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"export of {seriesSelector} failed with {(int)response.StatusCode}: {body}");
        var list = new List<VmSeries>();
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var labels = root.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
            var values = root.GetProperty("values").EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String
                ? double.Parse(v.GetString()!, CultureInfo.InvariantCulture) : v.GetDouble()).ToList();
            var times = root.GetProperty("timestamps").EnumerateArray().Select(t => t.GetInt64()).ToList();
            list.Add(new VmSeries(labels, values, times));
        }
        return list;
    }
}
