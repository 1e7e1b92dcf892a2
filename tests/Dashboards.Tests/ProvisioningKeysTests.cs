namespace Dashboards.Tests;

/// <summary>
/// Every key in the provisioning files is one Grafana documents, so a misspelt key cannot be silently ignored.
/// Sources: Grafana's docs/sources/administration/provisioning/index.md (data sources, dashboard providers, custom
/// HTTP headers) and docs/sources/alerting/set-up/provision-alerting-resources/file-provisioning/index.md (rule
/// groups, rules, contact points, webhook settings, notification policies).
/// </summary>
public sealed class ProvisioningKeysTests
{
    private static readonly HashSet<string> DatasourceKeys = ["name", "type", "access", "orgId", "uid", "url", "user", "database", "basicAuth",
        "basicAuthUser", "withCredentials", "isDefault", "jsonData", "secureJsonData", "version", "editable"];

    // The HTTP data source settings of the table "JSON Data" that apply to InfluxDB, plus the custom header pairs.
    private static readonly HashSet<string> InfluxJsonDataKeys = ["version", "httpMode", "timeInterval", "maxSeries", "tlsAuth",
        "tlsAuthWithCACert", "tlsSkipVerify", "serverName", "timeout", "keepCookies", "organization", "defaultBucket", "dbName"];

    private static readonly HashSet<string> SecureJsonDataKeys = ["tlsCACert", "tlsClientCert", "tlsClientKey", "password", "basicAuthPassword", "token"];

    private static readonly HashSet<string> ProviderKeys = ["name", "orgId", "folder", "folderUid", "type", "disableDeletion",
        "updateIntervalSeconds", "allowUiUpdates", "options"];

    private static readonly HashSet<string> ProviderOptionKeys = ["path", "foldersFromFilesStructure"];

    private static readonly HashSet<string> GroupKeys = ["orgId", "name", "folder", "interval", "rules"];

    private static readonly HashSet<string> RuleKeys = ["uid", "title", "condition", "data", "dashboardUid", "panelId", "noDataState",
        "execErrState", "for", "annotations", "labels", "isPaused"];

    private static readonly HashSet<string> QueryKeys = ["refId", "datasourceUid", "relativeTimeRange", "model", "queryType"];

    private static readonly HashSet<string> ContactPointKeys = ["orgId", "name", "receivers"];

    private static readonly HashSet<string> ReceiverKeys = ["uid", "type", "settings", "disableResolveMessage"];

    private static readonly HashSet<string> WebhookSettingKeys = ["url", "httpMethod", "username", "password", "authorization_scheme",
        "authorization_credentials", "maxAlerts"];

    private static readonly HashSet<string> PolicyKeys = ["orgId", "receiver", "group_by", "matchers", "object_matchers",
        "mute_time_intervals", "group_wait", "group_interval", "repeat_interval", "routes", "continue"];

    private static void AssertKeys(HashSet<string> documented, Dictionary<object, object> map, string where)
    {
        foreach (var key in map.Keys.Select(k => k.ToString()!))
            Assert.True(documented.Contains(key), $"{where}: '{key}' is not a documented key");
    }

    private static void AssertCustomHeaders(Dictionary<object, object> jsonData, Dictionary<object, object>? secure)
    {
        foreach (var key in jsonData.Keys.Select(k => k.ToString()!).Where(k => k.StartsWith("httpHeaderName", StringComparison.Ordinal)))
        {
            Assert.Matches(@"^httpHeaderName[1-9]\d*$", key);
            Assert.True(secure is not null && secure.ContainsKey("httpHeaderValue" + key["httpHeaderName".Length..]), $"{key} has no value in secureJsonData");
        }
    }

    [Fact]
    public void Datasources_UseDocumentedKeys()
    {
        var file = Provisioning.Load("datasources", "alloclat-influxdb.yaml");
        AssertKeys(["apiVersion", "datasources", "deleteDatasources", "prune"], file, "datasources file");
        foreach (var ds in Provisioning.List(file["datasources"]).Select(Provisioning.Map))
        {
            AssertKeys(DatasourceKeys, ds, "datasource");
            var json = Provisioning.Map(ds["jsonData"]);
            var secure = ds.TryGetValue("secureJsonData", out var s) ? Provisioning.Map(s) : null;
            AssertKeys([.. InfluxJsonDataKeys, .. json.Keys.Select(k => k.ToString()!).Where(k => k.StartsWith("httpHeaderName", StringComparison.Ordinal))], json, "jsonData");
            AssertCustomHeaders(json, secure);
            if (secure is not null)
                AssertKeys([.. SecureJsonDataKeys, .. secure.Keys.Select(k => k.ToString()!).Where(k => k.StartsWith("httpHeaderValue", StringComparison.Ordinal))], secure, "secureJsonData");
            Assert.Contains((string)json["version"], new[] { "InfluxQL", "Flux", "SQL" });
            Assert.Contains((string)json["httpMode"], new[] { "GET", "POST" });
        }
    }

    [Fact]
    public void DashboardProviders_UseDocumentedKeys()
    {
        var file = Provisioning.Load("dashboards", "alloclat.yaml");
        AssertKeys(["apiVersion", "providers"], file, "dashboards file");
        foreach (var p in Provisioning.List(file["providers"]).Select(Provisioning.Map))
        {
            AssertKeys(ProviderKeys, p, "provider");
            AssertKeys(ProviderOptionKeys, Provisioning.Map(p["options"]), "provider options");
        }
    }

    [Fact]
    public void AlertRules_UseDocumentedKeys()
    {
        var file = Provisioning.Load("alerting", "alloclat-rules.yaml");
        AssertKeys(["apiVersion", "groups", "deleteRules"], file, "rules file");
        foreach (var g in Provisioning.List(file["groups"]).Select(Provisioning.Map))
        {
            AssertKeys(GroupKeys, g, "group");
            foreach (var r in Provisioning.List(g["rules"]).Select(Provisioning.Map))
            {
                AssertKeys(RuleKeys, r, $"rule {r["uid"]}");
                Assert.Contains((string)r["noDataState"], new[] { "NoData", "Alerting", "OK" });
                Assert.Contains((string)r["execErrState"], new[] { "Error", "Alerting", "OK" });
                foreach (var q in Provisioning.List(r["data"]).Select(Provisioning.Map))
                    AssertKeys(QueryKeys, q, $"rule {r["uid"]} query {q["refId"]}");
            }
        }
    }

    [Fact]
    public void ContactPointsAndPolicies_UseDocumentedKeys()
    {
        var cp = Provisioning.Load("alerting", "alloclat-contact-points.yaml");
        AssertKeys(["apiVersion", "contactPoints", "deleteContactPoints"], cp, "contact points file");
        foreach (var c in Provisioning.List(cp["contactPoints"]).Select(Provisioning.Map))
        {
            AssertKeys(ContactPointKeys, c, "contact point");
            foreach (var r in Provisioning.List(c["receivers"]).Select(Provisioning.Map))
            {
                AssertKeys(ReceiverKeys, r, "receiver");
                Assert.Equal("webhook", r["type"]);
                AssertKeys(WebhookSettingKeys, Provisioning.Map(r["settings"]), "webhook settings");
            }
        }
        var policies = Provisioning.Load("alerting", "alloclat-policies.yaml");
        AssertKeys(["apiVersion", "policies", "resetPolicies"], policies, "policies file");
        foreach (var p in Provisioning.List(policies["policies"]).Select(Provisioning.Map))
            AssertKeys(PolicyKeys, p, "policy");
    }
}
