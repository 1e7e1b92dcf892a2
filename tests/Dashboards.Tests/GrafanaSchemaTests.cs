using System.Text.RegularExpressions;

namespace Dashboards.Tests;

/// <summary>Every dashboard in dashboards/ against Grafana's published schema (<see cref="GrafanaSchema"/>).</summary>
public sealed class GrafanaSchemaTests
{
    public static TheoryData<string> Dashboards()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Repo.Path("dashboards"), "*.json").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Dashboards))]
    public void Dashboard_TypeChecksAgainstGrafanasSchema(string file)
    {
        var (exit, output) = GrafanaSchema.Check(Path.GetFileNameWithoutExtension(file), File.ReadAllText(Repo.Path("dashboards", file)));
        Assert.True(exit == 0, output);
    }

    [Fact]
    public void TheCheck_CatchesAMisspelledKey_AndAWrongType()
    {
        string json = File.ReadAllText(Repo.Path("dashboards", "alloclat.json"));
        var misspelled = new Regex("\"calculate\": false").Replace(json, "\"calculat\": false", 1);
        var (exit, output) = GrafanaSchema.Check("negative-key", misspelled);
        Assert.NotEqual(0, exit);
        Assert.Contains("calculat", output);

        var wrongType = new Regex("\"refresh\": \"10s\"").Replace(json, "\"refresh\": 10", 1);
        (exit, output) = GrafanaSchema.Check("negative-type", wrongType);
        Assert.NotEqual(0, exit);
        Assert.Contains("Type 'number' is not assignable to type 'string'", output);
    }

    [Fact]
    public void SchemaVersion_IsTheComposeGrafanaImagesVersion()
    {
        string compose = File.ReadAllText(Repo.Path("docker-compose.yml"));
        Assert.Contains($"image: grafana/grafana:{GrafanaSchema.SchemaVersion}", compose);
    }
}
