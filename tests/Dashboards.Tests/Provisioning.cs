using YamlDotNet.Serialization;

namespace Dashboards.Tests;

/// <summary>Reads the provisioning YAML files as plain maps and lists.</summary>
internal static class Provisioning
{
    public static Dictionary<object, object> Load(params string[] path)
    {
        var text = File.ReadAllText(Repo.Path(["dashboards", "provisioning", .. path]));
        return new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(text);
    }

    public static Dictionary<object, object> Map(object o) => (Dictionary<object, object>)o;

    public static List<object> List(object o) => (List<object>)o;

    public static IEnumerable<Dictionary<object, object>> AlertRules() =>
        List(Load("alerting", "alloclat-rules.yaml")["groups"]).Select(Map).SelectMany(g => List(g["rules"]).Select(Map));
}
