using YamlDotNet.Serialization;

namespace Dashboards.Tests;

/// <summary>The provisioning files parse and point at each other: datasource uid, dashboard folder, alert queries.</summary>
public sealed class ProvisioningTests
{
    private static string DatasourceUid()
    {
        var ds = Provisioning.Map(Assert.Single(Provisioning.List(Provisioning.Load("datasources", "alloclat-influxdb.yaml")["datasources"])));
        Assert.Equal("influxdb", ds["type"]);
        return (string)ds["uid"];
    }

    [Fact]
    public void EveryYamlFile_Parses_WithApiVersion1()
    {
        var files = Directory.GetFiles(Repo.Path("dashboards", "provisioning"), "*.yaml", SearchOption.AllDirectories);
        Assert.True(files.Length >= 5, $"{files.Length} files");
        foreach (var f in files)
        {
            var doc = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(f));
            Assert.Equal("1", doc["apiVersion"].ToString());
        }
    }

    [Fact]
    public void Datasource_IsInfluxQlWithTokenHeader()
    {
        var ds = Provisioning.Map(Provisioning.List(Provisioning.Load("datasources", "alloclat-influxdb.yaml")["datasources"])[0]);
        var json = Provisioning.Map(ds["jsonData"]);
        Assert.Equal("InfluxQL", json["version"]);
        Assert.Equal("Authorization", json["httpHeaderName1"]);
        Assert.StartsWith("Token ", (string)Provisioning.Map(ds["secureJsonData"])["httpHeaderValue1"]);
        Assert.Equal("alloclat-influxdb", DatasourceUid());
    }

    [Fact]
    public void Dashboard_UsesTheProvisionedDatasourceUid()
    {
        string uid = DatasourceUid();
        using var doc = Repo.Dashboard();
        foreach (var p in doc.RootElement.GetProperty("panels").EnumerateArray())
        {
            Assert.Equal(uid, p.GetProperty("datasource").GetProperty("uid").GetString());
            foreach (var t in p.GetProperty("targets").EnumerateArray())
                Assert.Equal(uid, t.GetProperty("datasource").GetProperty("uid").GetString());
        }
        foreach (var v in doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
            Assert.Equal(uid, v.GetProperty("datasource").GetProperty("uid").GetString());
    }

    [Fact]
    public void DashboardProvider_LoadsTheFolderComposeMounts()
    {
        var provider = Provisioning.Map(Assert.Single(Provisioning.List(Provisioning.Load("dashboards", "alloclat.yaml")["providers"])));
        Assert.Equal("file", provider["type"]);
        string path = (string)Provisioning.Map(provider["options"])["path"];
        var compose = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(Repo.Path("docker-compose.yml")));
        var grafana = Provisioning.Map(Provisioning.Map(compose["services"])["grafana"]);
        var volumes = Provisioning.List(grafana["volumes"]).Select(v => v.ToString()!).ToList();
        Assert.Contains(volumes, v => v.StartsWith("./dashboards:", StringComparison.Ordinal) && v.Contains(":" + path, StringComparison.Ordinal));
        Assert.Contains(volumes, v => v.StartsWith("./dashboards/provisioning:/etc/grafana/provisioning", StringComparison.Ordinal));
    }

    [Fact]
    public void AlertRules_ReferenceTheDatasourceAndTheirCondition()
    {
        string uid = DatasourceUid();
        var rules = Provisioning.AlertRules().ToList();
        Assert.Equal(2, rules.Count);
        foreach (var rule in rules)
        {
            var data = Provisioning.List(rule["data"]).Select(Provisioning.Map).ToList();
            var refIds = data.Select(d => (string)d["refId"]).ToList();
            Assert.Contains((string)rule["condition"], refIds);
            Assert.All(data, d => Assert.Contains((string)d["datasourceUid"], new[] { uid, "__expr__" }));
            var query = (string)Provisioning.Map(data.Single(d => (string)d["datasourceUid"] == uid)["model"])["query"];
            Assert.Contains("max(\"p999\")", query);
            Assert.Contains("GROUP BY time(10s), \"host\", \"comm\"", query);
            Assert.Matches(@"^\d+m$", (string)rule["for"]);
            var threshold = data.Single(d => (string)d["refId"] == (string)rule["condition"]);
            Assert.Equal("threshold", Provisioning.Map(threshold["model"])["type"]);
        }
    }

    [Fact]
    public void DashboardsAndAlertRules_ShareOneFolder_NamedByTitleOnly()
    {
        // Alert rule file provisioning names its folder by title; a dashboard provider with a folderUid looks the
        // folder up by uid only and creates a second folder of the same title (grafana/grafana#125079).
        var provider = Provisioning.Map(Assert.Single(Provisioning.List(Provisioning.Load("dashboards", "alloclat.yaml")["providers"])));
        Assert.False(provider.ContainsKey("folderUid"), "folderUid in the dashboard provider");
        string folder = (string)provider["folder"];
        var groups = Provisioning.List(Provisioning.Load("alerting", "alloclat-rules.yaml")["groups"]).Select(Provisioning.Map).ToList();
        Assert.NotEmpty(groups);
        Assert.All(groups, g => Assert.Equal(folder, (string)g["folder"]));
        Assert.All(groups, g => Assert.False(g.ContainsKey("folderUid") || g.ContainsKey("folderUID")));
    }

    private static Dictionary<object, object> ComposeService(string name)
    {
        var compose = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(Repo.Path("docker-compose.yml")));
        return Provisioning.Map(Provisioning.Map(compose["services"])[name]);
    }

    [Fact]
    public void Kafka_WritesItsLogToTheMountedVolume()
    {
        // apache/kafka's image defaults KAFKA_LOG_DIRS to /tmp/kraft-combined-logs (docker/resources/common-scripts/configureDefaults).
        var kafka = ComposeService("kafka");
        string dirs = (string)Provisioning.Map(kafka["environment"])["KAFKA_LOG_DIRS"];
        var mounts = Provisioning.List(kafka["volumes"]).Select(v => v.ToString()!.Split(':')).ToList();
        Assert.All(dirs.Split(','), d => Assert.Contains(mounts, m => m.Length >= 2 && !m[0].StartsWith('.') && !m[0].StartsWith('/') && d.StartsWith(m[1], StringComparison.Ordinal)));
    }

    [Fact]
    public void InfluxDbHealthcheck_PingsTheServersOwnPort()
    {
        // During first-start setup the influxdb:2 image runs a temporary server on INFLUXD_INIT_PORT (9999) and the
        // CLI's config points there: a bare `influx ping` would be healthy before setup and the init scripts end.
        var influx = ComposeService("influxdb");
        var test = Provisioning.List(Provisioning.Map(influx["healthcheck"])["test"]).Select(x => x.ToString()!).ToList();
        Assert.Equal(["CMD", "influx", "ping", "--host"], test.Take(4));
        var port = new Uri(test[4]).Port;
        Assert.Contains(Provisioning.List(influx["ports"]).Select(p => p.ToString()!), p => p.EndsWith(":" + port, StringComparison.Ordinal));
        Assert.NotEqual(9999, port);
    }

    [Fact]
    public void Policy_RoutesToTheProvisionedContactPoint()
    {
        var contact = Provisioning.Map(Assert.Single(Provisioning.List(Provisioning.Load("alerting", "alloclat-contact-points.yaml")["contactPoints"])));
        var policy = Provisioning.Map(Assert.Single(Provisioning.List(Provisioning.Load("alerting", "alloclat-policies.yaml")["policies"])));
        Assert.Equal(contact["name"], policy["receiver"]);
        Assert.Equal("webhook", Provisioning.Map(Provisioning.List(contact["receivers"])[0])["type"]);
        Assert.Contains("comm", Provisioning.List(policy["group_by"]).Select(x => x.ToString()));
    }
}
