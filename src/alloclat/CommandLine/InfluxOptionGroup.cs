using System.CommandLine;
using Tracer.Core;
using Tracer.Sinks;

namespace Alloclat.Cli.CommandLine;

/// <summary>Where points go in InfluxDB (or VictoriaMetrics), as <c>record</c> and <c>aggregate</c> both take it.</summary>
public sealed record InfluxSettings
{
    public string? Url { get; init; }
    public string? Database { get; init; }
    public string? User { get; init; }
    public string? Org { get; init; }
    public string? Bucket { get; init; }
    public string? TokenFile { get; init; }
    public int QueueLines { get; init; } = 100_000;
    /// <summary>--influx-flush-timeout: the most a slow or hung database may delay exit.</summary>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>--influx-ca: PEM file of a private CA trusted for the database's certificate.</summary>
    public string? CaFile { get; init; }

    /// <summary>
    /// The writer's options, with the secrets from the environment (ALLOCLAT_INFLUX_PASSWORD, ALLOCLAT_INFLUX_TOKEN)
    /// or the token file. A v2 target without a token, or an unreadable CA file, is a usage error: called before
    /// anything is opened.
    /// </summary>
    public InfluxWriterOptions WriterOptions()
    {
        var options = Target() with { QueueCapacity = QueueLines, FlushTimeout = FlushTimeout, CaFile = CaFile };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new AlloclatException(ReturnCode.ArgumentError, e.Message);
        }
        return options;
    }

    private InfluxWriterOptions Target()
    {
        if (Database is not null)
            return InfluxWriterOptions.ForV1(new Uri(Url!), Database, User,
                Environment.GetEnvironmentVariable("ALLOCLAT_INFLUX_PASSWORD"));
        string? token = Environment.GetEnvironmentVariable("ALLOCLAT_INFLUX_TOKEN");
        if (TokenFile is not null)
        {
            try
            {
                token = File.ReadAllText(TokenFile).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new AlloclatException(ReturnCode.ArgumentError, $"cannot read --influx-token-file {TokenFile}: {e.Message}");
            }
        }
        if (string.IsNullOrEmpty(token))
            throw new AlloclatException(ReturnCode.ArgumentError, "InfluxDB 2.x/3.x needs a token: set ALLOCLAT_INFLUX_TOKEN or pass --influx-token-file");
        return InfluxWriterOptions.ForV2(new Uri(Url!), Org!, Bucket!, token);
    }
}

/// <summary>The InfluxDB options, declared once and added to every command that writes to InfluxDB.</summary>
internal sealed class InfluxOptionGroup
{
    private readonly int _defaultQueue;

    public InfluxOptionGroup(int defaultQueueLines)
    {
        _defaultQueue = defaultQueueLines;
        Queue = Opt.Value("--influx-queue", "LINES", $"points kept in memory while the database is unreachable (default {defaultQueueLines})", OptionValues.PositiveInt);
    }

    public Option<string?> Url { get; } = Opt.Text("--influx-url", "URL", "also write to InfluxDB (or VictoriaMetrics) at URL", OptionValues.Url);
    public Option<string?> Database { get; } = Opt.Text("--influx-db", "DB", "InfluxDB 1.x database (user from --influx-user, password from ALLOCLAT_INFLUX_PASSWORD)", OptionValues.NonEmpty);
    public Option<string?> User { get; } = Opt.Text("--influx-user", "USER", "InfluxDB 1.x user", OptionValues.NonEmpty);
    public Option<string?> Org { get; } = Opt.Text("--influx-org", "ORG", "InfluxDB 2.x/3.x organisation, with --influx-bucket; the token from ALLOCLAT_INFLUX_TOKEN or --influx-token-file", OptionValues.NonEmpty);
    public Option<string?> Bucket { get; } = Opt.Text("--influx-bucket", "BUCKET", "InfluxDB 2.x/3.x bucket", OptionValues.NonEmpty);
    public Option<string?> TokenFile { get; } = Opt.Text("--influx-token-file", "FILE", "file holding the InfluxDB 2.x/3.x token");
    public Option<int?> Queue { get; }
    public Option<TimeSpan?> FlushTimeout { get; } = Opt.Value("--influx-flush-timeout", "TIME",
        "the most a slow or hung database may delay exit (default 5s; 0: do not wait); what is still unsent then is counted lost (exit code 11)", OptionValues.FlushTimeout);
    public Option<string?> Ca { get; } = Opt.Text("--influx-ca", "FILE", "PEM file of a private CA to trust for the database's TLS certificate", OptionValues.NonEmpty);
    private readonly Option<string?> _token = Opt.Refused("--influx-token",
        "--influx-token is not accepted on the command line (it would show in ps): set ALLOCLAT_INFLUX_TOKEN or use --influx-token-file");

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Url, Database, User, Org, Bucket, TokenFile, Queue, FlushTimeout, Ca, _token })
            command.Options.Add(option);
    }

    public InfluxSettings Bind(ParseResult r) => new()
    {
        Url = r.GetValue(Url),
        Database = r.GetValue(Database),
        User = r.GetValue(User),
        Org = r.GetValue(Org),
        Bucket = r.GetValue(Bucket),
        TokenFile = r.GetValue(TokenFile),
        QueueLines = r.GetValue(Queue) ?? _defaultQueue,
        FlushTimeout = r.GetValue(FlushTimeout) ?? TimeSpan.FromSeconds(5),
        CaFile = r.GetValue(Ca),
    };

    /// <summary>The combinations that make sense: a URL with either a 1.x database or a 2.x org and bucket.</summary>
    public static void Validate(InfluxSettings s)
    {
        if (s.Url is null)
        {
            if (s.Database is not null || s.Org is not null || s.Bucket is not null || s.CaFile is not null)
                throw Usage.Error("--influx-db/--influx-org/--influx-bucket/--influx-ca need --influx-url");
            return;
        }
        bool v1 = s.Database is not null, v2 = s.Org is not null || s.Bucket is not null;
        if (v1 == v2)
            throw Usage.Error("with --influx-url give either --influx-db (InfluxDB 1.x) or --influx-org and --influx-bucket (2.x/3.x)");
        if (v2 && (s.Org is null || s.Bucket is null))
            throw Usage.Error("--influx-org and --influx-bucket go together");
    }
}
