using System.Runtime.Versioning;

// uprobes, tracepoints and /proc: this assembly has no meaning elsewhere.
[assembly: SupportedOSPlatform("linux")]
