using Tracer.Probes;

namespace Tracer.Probes.Tests;

public class CgroupTargetTests
{
    [Fact]
    public void AMemberIsFoundWithItsPathBelowTheCgroup()
    {
        string v2 = File.Exists("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
        string name = $"alloclat-unit-{Environment.ProcessId}-{Random.Shared.Next(1_000_000)}";
        string root = Path.Combine(v2, name), child = Path.Combine(root, "job");
        Directory.CreateDirectory(child);
        var p = Tracer.TestSupport.CapturedProcess.Start("sleep", ["30"]);
        try
        {
            File.WriteAllText(Path.Combine(child, "cgroup.procs"), p.Id.ToString());
            var target = CgroupTarget.Open(root);
            Assert.Equal($"/{name}", target.HierarchyPath);
            Assert.Equal([p.Id], target.Members());
            Assert.Equal($"/{name}/job", target.PathOf(p.Id));
            Assert.Null(target.PathOf(Environment.ProcessId));
        }
        finally
        {
            p.Kill();
            p.Wait(TimeSpan.FromSeconds(30));
            Directory.Delete(child);
            Directory.Delete(root);
        }
    }
}
