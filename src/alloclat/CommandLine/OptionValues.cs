using System.Globalization;
using System.Text;
using Tracer.Alerts;
using Tracer.Core;

namespace Alloclat.Cli.CommandLine;

/// <summary>
/// The values options take. Each parser gets the option as typed and the text, and throws a
/// <see cref="FormatException"/> whose message is the one line to show.
/// </summary>
internal static class OptionValues
{
    public static int Pid(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0
            ? pid : throw new FormatException($"invalid process id '{value}': expected a positive integer");

    /// <summary>A process name as the kernel keeps it (comm): at most 15 bytes, no slash.</summary>
    public static IEnumerable<string> ProcessName(string name, string value)
    {
        if (string.IsNullOrEmpty(value) || value.Contains('/'))
            throw new FormatException($"invalid process name '{value}' for {name}: give the name ps shows (comm), not a path; for a path use --binary");
        if (Encoding.UTF8.GetByteCount(value) > 15)
            throw new FormatException($"invalid process name '{value}' for {name}: the kernel keeps 15 bytes of a process name; give '{Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(value), 0, 15)}'");
        return [value];
    }

    public static string NonEmpty(string name, string value) =>
        string.IsNullOrWhiteSpace(value) ? throw new FormatException($"option {name} needs a non-empty value") : value;

    public static int PositiveInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n : throw new FormatException($"invalid value '{value}' for {name}: expected a positive integer");

    public static int PowerOfTwo(string name, string value)
    {
        int n = PositiveInt(name, value);
        return (n & (n - 1)) == 0 ? n : throw new FormatException($"invalid value '{value}' for {name}: expected a power of two");
    }

    public static ulong Size(string name, string value) => Quantity.ParseSize(value, name);

    /// <summary>A duration of the run or an interval: 1 ms to 365 days, a bare number in seconds.</summary>
    public static TimeSpan Duration(string name, string value)
    {
        var d = Quantity.ParseDuration(value, name);
        return d >= TimeSpan.FromMilliseconds(1) && d <= TimeSpan.FromDays(365)
            ? d : throw new FormatException($"invalid duration '{value}' for {name}: must be between 1ms and 365 days");
    }

    /// <summary>How long to flush at exit: 0 (do not wait) to 1 hour.</summary>
    public static TimeSpan FlushTimeout(string name, string value)
    {
        var d = Quantity.ParseDuration(value, name);
        return d >= TimeSpan.Zero && d <= TimeSpan.FromHours(1)
            ? d : throw new FormatException($"invalid duration '{value}' for {name}: must be between 0 and 1h");
    }

    /// <summary>A latency threshold (<c>500us</c>, <c>5ms</c>, as alert rules write them), or <c>off</c> (or 0) for none.</summary>
    public static TimeSpan Threshold(string name, string value)
    {
        if (value is "off")
            return TimeSpan.Zero;
        var d = Quantity.ParseDuration(value, name);
        return d <= TimeSpan.FromHours(1) ? d : throw new FormatException($"invalid duration '{value}' for {name}: must be at most 1h");
    }

    public static string Url(string name, string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new FormatException($"invalid URL '{value}' for {name}: expected http://host:port or https://host:port");
        return value.TrimEnd('/');
    }

    public static IEnumerable<AlertRule> Alert(string name, string text)
    {
        try
        {
            return [AlertRuleParser.Parse(text)];
        }
        catch (AlertRuleException e)
        {
            throw new FormatException($"--alert: {e.Message}");
        }
    }

    public static IEnumerable<AlertRule> AlertFile(string name, string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"cannot read --alert-file {path}: {e.Message}");
        }
        try
        {
            var rules = AlertRuleParser.ParseFile(path, lines);
            return rules.Count > 0 ? rules : throw new FormatException($"--alert-file {path} holds no rule");
        }
        catch (AlertRuleException e)
        {
            throw new FormatException($"--alert-file {e.Message}");
        }
    }

    public static int Lateness(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 0 and <= 1000
            ? n : throw new FormatException($"invalid value '{value}' for {name}: expected a number of intervals from 0 to 1000");
}
