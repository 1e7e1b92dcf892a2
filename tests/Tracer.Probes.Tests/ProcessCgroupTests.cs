using Tracer.Probes;

namespace Tracer.Probes.Tests;

/// <summary>The container tag: a container's id read from the cgroup path its runtime gives it.</summary>
public class ProcessCgroupTests
{
    [Theory]
    [InlineData("/system.slice/docker-4f1c2a7d9e0b3c5a6d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c.scope", "4f1c2a7d9e0b")]
    [InlineData("/docker/4f1c2a7d9e0b3c5a6d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c", "4f1c2a7d9e0b")]
    [InlineData("/kubepods/burstable/pod0e1f2a3b-4c5d-6e7f-8a9b-0c1d2e3f4a5b/4f1c2a7d9e0b3c5a6d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c", "4f1c2a7d9e0b")]
    [InlineData("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0e1f.slice/cri-containerd-4f1c2a7d9e0b3c5a6d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c.scope", "4f1c2a7d9e0b")]
    [InlineData("/machine.slice/libpod-4f1c2a7d9e0b3c5a6d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c.scope/container", "4f1c2a7d9e0b")]
    [InlineData("/user.slice/user-1000.slice/session-2.scope", null)]
    [InlineData("/process_api/35856f98ea77410df4e223281d69b3ce", null)]
    [InlineData("/", null)]
    public void ContainerIdsComeFromTheRuntimesCgroupNames(string path, string? id) =>
        Assert.Equal(id, ProcessCgroup.ContainerId(path));
}
