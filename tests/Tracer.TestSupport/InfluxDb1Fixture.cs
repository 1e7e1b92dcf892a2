using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Tracer.TestSupport;

/// <summary>
/// A real InfluxDB 1.x (<c>influxd</c>, Debian package <c>influxdb</c>) on 127.0.0.1 with every directory in a
/// fresh temporary folder. <see cref="Stop"/> and <see cref="Start"/> kill and restart it on the same port and
/// data, to stage an outage: its HTTP port is therefore a <see cref="ReservedPort"/>, where port 0 would be a new
/// port at each start while the collector under test keeps writing to the first. Its RPC port, which nothing here
/// connects to, is port 0. Usable as an xunit class fixture or directly (<c>await using</c>).
/// </summary>
public sealed class InfluxDb1Fixture : LoopbackServerFixture
{
    public const string AdminUser = "admin";
    public const string AdminPassword = "admin-pass";

    private readonly string _configPath;
    private bool _adminCreated;

    public InfluxDb1Fixture() : base("influxd", "apt-get install -y influxdb", ServerPort.Reserved)
    {
        _configPath = Path.Combine(Directory, "influxdb.conf");
    }

    /// <summary>Require credentials; an admin <see cref="AdminUser"/> is created on first start.</summary>
    public bool AuthEnabled { get; init; }

    /// <summary>The server's <c>max-body-size</c> in bytes (413 above it); the server default when null.</summary>
    public long? MaxBodySize { get; init; }

    protected override IReadOnlyList<string> Arguments()
    {
        if (!File.Exists(_configPath))
            File.WriteAllText(_configPath, BuildConfig(MaxBodySize));
        return ["-config", _configPath];
    }

    protected override async Task<bool> IsReadyAsync()
    {
        using var response = await Http.GetAsync(new Uri(Url, "ping")).ConfigureAwait(false);
        return (int)response.StatusCode == 204;
    }

    protected override async Task OnStartedAsync()
    {
        if (AuthEnabled && !_adminCreated)
        {
            // With auth on and no user yet, InfluxDB allows exactly this statement without credentials.
            await ExecuteAsync($"CREATE USER \"{AdminUser}\" WITH PASSWORD '{AdminPassword}' WITH ALL PRIVILEGES").ConfigureAwait(false);
            _adminCreated = true;
        }
    }

    /// <summary>Runs a statement that returns no rows (CREATE, DROP, ...); throws with the server's error.</summary>
    public async Task ExecuteAsync(string influxql, string? database = null)
    {
        await QueryAsync(database, influxql).ConfigureAwait(false);
    }

    /// <summary>Runs InfluxQL (as admin when auth is on) and returns the series of the first statement.</summary>
    public async Task<IReadOnlyList<InfluxSeries>> QueryAsync(string? database, string influxql)
    {
        var form = new List<KeyValuePair<string, string>> { new("q", influxql), new("epoch", "ns") };
        if (database is not null)
            form.Add(new("db", database));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Url, "query")) { Content = new FormUrlEncodedContent(form) };
        if (AuthEnabled && _adminCreated)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AdminUser}:{AdminPassword}")));
        using var response = await Http.SendAsync(request).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"InfluxQL '{influxql}' failed with {(int)response.StatusCode}: {body}");
        return Parse(influxql, body);
    }

    private static IReadOnlyList<InfluxSeries> Parse(string influxql, string body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (root.TryGetProperty("error", out var topError))
            throw new InvalidOperationException($"InfluxQL '{influxql}' failed: {topError.GetString()}");
        var result = root.GetProperty("results")[0];
        if (result.TryGetProperty("error", out var error))
            throw new InvalidOperationException($"InfluxQL '{influxql}' failed: {error.GetString()}");
        var list = new List<InfluxSeries>();
        if (!result.TryGetProperty("series", out var series))
            return list;
        foreach (var s in series.EnumerateArray())
        {
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            if (s.TryGetProperty("tags", out var t))
                foreach (var p in t.EnumerateObject())
                    tags[p.Name] = p.Value.GetString() ?? "";
            var columns = s.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToList();
            var values = new List<IReadOnlyList<object?>>();
            if (s.TryGetProperty("values", out var rows))
                foreach (var row in rows.EnumerateArray())
                    values.Add(row.EnumerateArray().Select(ToValue).ToList());
            list.Add(new InfluxSeries(s.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "", tags, columns, values));
        }
        return list;
    }

    private static object? ToValue(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number when e.TryGetInt64(out long l) => l,
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private string BuildConfig(long? maxBodySize)
    {
        string Dir(string name) => Path.Combine(Directory, name).Replace("\\", "\\\\");
        var ci = CultureInfo.InvariantCulture;
        return $"""
            reporting-disabled = true
            bind-address = "127.0.0.1:0"

            [meta]
              dir = "{Dir("meta")}"

            [data]
              dir = "{Dir("data")}"
              wal-dir = "{Dir("wal")}"
              query-log-enabled = false

            [http]
              enabled = true
              bind-address = "127.0.0.1:{Port.ToString(ci)}"
              auth-enabled = {(AuthEnabled ? "true" : "false")}
              log-enabled = false
              {(maxBodySize is { } m ? $"max-body-size = {m.ToString(ci)}" : "")}

            [logging]
              level = "warn"
              suppress-logo = true

            [monitor]
              store-enabled = false

            [continuous_queries]
              enabled = false

            [subscriber]
              enabled = false
            """;
    }
}
