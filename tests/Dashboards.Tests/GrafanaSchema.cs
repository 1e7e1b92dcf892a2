using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Dashboards.Tests;

/// <summary>
/// Grafana's own published dashboard schema: the npm package <c>@grafana/schema</c>, pinned to the version of the
/// Grafana image in docker-compose.yml, holds the TypeScript types generated from Grafana's CUE kinds (the
/// dashboard, and each core panel's options and field config). A dashboard JSON is checked by compiling it, as
/// object literals typed by those types, with the TypeScript compiler (also pinned): a misspelled key is an
/// excess-property error, a wrong value type a type error. Both packages are installed once into build/grafana-schema.
/// </summary>
internal static class GrafanaSchema
{
    public const string SchemaVersion = "11.4.0";
    public const string TypeScriptVersion = "5.6.3";

    private static readonly string Dir = Repo.Path("build", "grafana-schema");

    /// <summary>Panel types whose options and field config the package types, by type name and file stem.</summary>
    private static readonly Dictionary<string, string> PanelKinds = new(StringComparer.Ordinal)
    {
        ["timeseries"] = "timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen",
        ["table"] = "table/panelcfg/x/TablePanelCfg_types.gen",
        ["heatmap"] = "heatmap/panelcfg/x/HeatmapPanelCfg_types.gen",
        ["stat"] = "stat/panelcfg/x/StatPanelCfg_types.gen",
        ["bargauge"] = "bargauge/panelcfg/x/BarGaugePanelCfg_types.gen",
        ["gauge"] = "gauge/panelcfg/x/GaugePanelCfg_types.gen",
        ["barchart"] = "barchart/panelcfg/x/BarChartPanelCfg_types.gen",
        ["text"] = "text/panelcfg/x/TextPanelCfg_types.gen",
    };

    /// <summary>Compiles <paramref name="dashboardJson"/>; returns the compiler's exit code and output.</summary>
    public static (int ExitCode, string Output) Check(string name, string dashboardJson)
    {
        EnsureInstalled();
        string file = Path.Combine(Dir, "check", name + ".ts");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, Generate(dashboardJson));
        return RunNode(Path.Combine(Dir, "node_modules", "typescript", "bin", "tsc"),
            "--noEmit", "--strict", "--target", "es2020", "--module", "commonjs", "--moduleResolution", "node", file);
    }

    /// <summary>
    /// The TypeScript program: the whole dashboard as <c>Dashboard</c>, then each panel's <c>options</c> and
    /// <c>fieldConfig.defaults.custom</c> as its panel kind's <c>Options</c> and <c>FieldConfig</c>. Panel options may
    /// leave out what Grafana fills with defaults (DeepPartial), but every key given must exist and be of its type
    /// (for an enum: one of its values).
    /// </summary>
    private static string Generate(string dashboardJson)
    {
        using var doc = JsonDocument.Parse(dashboardJson);
        var sb = new StringBuilder();
        sb.AppendLine("import type { Dashboard } from '@grafana/schema/dist/esm/raw/dashboard/x/dashboard_types.gen';");
        foreach (var (type, stem) in PanelKinds)
            sb.AppendLine($"import type * as {Ident(type)} from '@grafana/schema/dist/esm/raw/composable/{stem}';");
        // JSON holds an enum's value, not the enum: string enums become the union of their values.
        sb.AppendLine("type DeepPartial<T> = T extends string ? `${T}` : T extends (infer U)[] ? DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;");
        sb.Append("export const dashboard: Dashboard = ").Append(dashboardJson.Trim()).AppendLine(";");
        int i = 0;
        foreach (var panel in doc.RootElement.GetProperty("panels").EnumerateArray())
        {
            i++;
            string type = panel.GetProperty("type").GetString()!;
            if (!PanelKinds.ContainsKey(type))
                throw new InvalidOperationException($"panel type {type} has no schema here; add its panelcfg types");
            if (panel.TryGetProperty("options", out var options))
                sb.Append($"export const options{i}: DeepPartial<{Ident(type)}.Options> = ").Append(options.GetRawText()).AppendLine(";");
            if (panel.GetProperty("fieldConfig").GetProperty("defaults").TryGetProperty("custom", out var custom))
                sb.Append($"export const custom{i}: DeepPartial<{Ident(type)}.FieldConfig> = ").Append(custom.GetRawText()).AppendLine(";");
        }
        return sb.ToString();
    }

    private static string Ident(string type) => "k_" + type;

    private static void EnsureInstalled()
    {
        Directory.CreateDirectory(Dir);
        // One installer at a time across test processes.
        using var lockFile = WaitForLock(Path.Combine(Dir, ".lock"));
        string marker = Path.Combine(Dir, "node_modules", "@grafana", "schema", "package.json");
        string tsMarker = Path.Combine(Dir, "node_modules", "typescript", "package.json");
        if (Installed(marker, SchemaVersion) && Installed(tsMarker, TypeScriptVersion))
            return;
        File.WriteAllText(Path.Combine(Dir, "package.json"),
            "{\"private\": true, \"dependencies\": {\"@grafana/schema\": \"" + SchemaVersion + "\", \"typescript\": \"" + TypeScriptVersion + "\"}}\n");
        var (exit, output) = Run("npm", Dir, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel", "error");
        if (exit != 0 || !Installed(marker, SchemaVersion))
            throw new InvalidOperationException($"npm install of @grafana/schema@{SchemaVersion} failed ({exit}):\n{output}");
    }

    private static bool Installed(string packageJson, string version) =>
        File.Exists(packageJson) && JsonDocument.Parse(File.ReadAllText(packageJson)).RootElement.GetProperty("version").GetString() == version;

    private static FileStream WaitForLock(string path)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (clock.Elapsed < TimeSpan.FromMinutes(5))
            {
                Thread.Sleep(200);
            }
        }
    }

    private static (int, string) RunNode(string script, params string[] args) => Run("node", Dir, [script, .. args]);

    private static (int, string) Run(string exe, string dir, params string[] args)
    {
        var r = Tracer.TestSupport.ProcessRunner.Run(exe, args, dir, timeoutSeconds: 300, check: false);
        return (r.ExitCode, r.Stdout + r.Stderr);
    }
}
