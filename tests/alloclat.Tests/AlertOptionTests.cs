namespace Alloclat.Tests;

/// <summary>
/// Alert options of `alloclat record`: a bad rule stops the command before tracing with exit code 2. Parse-only, so
/// the command line runs in the test process (<see cref="InProcessCli"/>).
/// </summary>
public sealed class AlertOptionTests
{
    private const int ArgumentError = 2;

    [Fact]
    public void MalformedRule_IsOneLineError_Exit2()
    {
        var (exit, stdout, stderr) = InProcessCli.Run("record", "--alert", "p999 > soon", "--", "true");
        Assert.Equal(ArgumentError, exit);
        Assert.Equal("", stdout);
        Assert.Equal("[ERROR] --alert: alert rule 'p999 > soon': invalid threshold 'soon': expected a duration (5ms, 800us) or a factor (4x baseline)",
            stderr.TrimEnd('\n'));
    }

    [Fact]
    public void MalformedRuleInFile_NamesFileAndLine_Exit2()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("alloclat-rules-").FullName, "rules.txt");
        File.WriteAllLines(path, ["# rules", "p999 > 5ms for 3 intervals", "", "p999 > 4x baseline for two intervals"]);
        var (exit, _, stderr) = InProcessCli.Run("record", "--alert-file", path, "--", "true");
        Assert.Equal(ArgumentError, exit);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"[ERROR] --alert-file {path} line 4: ", line);
        Assert.Contains("expected 'for N intervals'", line);
    }

    [Fact]
    public void MissingRuleFile_AndWebhookWithoutRules_AreArgumentErrors()
    {
        var missing = InProcessCli.Run("record", "--alert-file", "/nonexistent/rules.txt", "--", "true");
        Assert.Equal(ArgumentError, missing.ExitCode);
        Assert.Contains("cannot read --alert-file /nonexistent/rules.txt", missing.Stderr);

        var webhook = InProcessCli.Run("record", "--alert-webhook", "http://127.0.0.1:9/", "--", "true");
        Assert.Equal(ArgumentError, webhook.ExitCode);
        Assert.Contains("--alert-webhook needs rules", webhook.Stderr);

        var badUrl = InProcessCli.Run("record", "--alert", "p999 > 5ms", "--alert-webhook", "ftp://x", "--", "true");
        Assert.Equal(ArgumentError, badUrl.ExitCode);
        Assert.Contains("invalid URL 'ftp://x' for --alert-webhook", badUrl.Stderr);
    }

    [Fact]
    public void Help_ListsTheAlertOptions()
    {
        var (exit, stdout, _) = InProcessCli.Run("record", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("--alert RULE", stdout);
        Assert.Contains("--alert-file FILE", stdout);
        Assert.Contains("--alert-webhook URL", stdout);
    }
}
